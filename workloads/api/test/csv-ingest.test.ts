import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runCsvJob } from '../src/ingest/csv-job.js';
import { DEFAULT_MAPPING } from '../src/jira/mapping.js';
import { MlClient } from '../src/ml-client.js';
import { createJob, getJob } from '../src/store/jobs.js';
import { PostgresSearch } from '../src/search/postgres.js';
import { createTestDatabase, startMl, type TestDatabase } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let tdb: TestDatabase;
let ml: Awaited<ReturnType<typeof startMl>>;

test.before(async () => {
  tdb = await createTestDatabase('csv');
  ml = await startMl();
});
test.after.always(async () => {
  await tdb?.drop();
  await ml?.server.close();
});

test.serial(
  'messy UTF-8 CSV: good rows land scored, bad rows reported, re-run adds no duplicates',
  async (t) => {
    const { db } = tdb;
    const client = new MlClient(ml.url, 64);
    const run = async () => {
      const id = await createJob(db, 'csv', 'messy-utf8.csv', {}, null);
      await runCsvJob(
        { db, ml: client, search: new PostgresSearch(db), batchRows: 2 },
        { id, path: fixture('messy-utf8.csv'), mapping: DEFAULT_MAPPING },
      );
      return (await getJob(db, id))!;
    };
    const job = await run();
    t.is(job.state, 'completed');
    t.is(job.rowsRead, 7);
    t.is(job.rowsScored, 4);
    t.is(job.rowsIndexed, 4);
    const errs = job.errors.map((e) => `${e.row}:${e.error}`);
    t.true(
      errs.some((e) => e.startsWith('3:missing Issue key')),
      errs.join('\n'),
    );
    t.true(
      errs.some((e) => e.startsWith('5:expected 11 columns')),
      errs.join('\n'),
    );
    t.true(
      errs.some((e) => e.startsWith('6:invalid ticket id')),
      errs.join('\n'),
    );
    t.true(
      errs.some((e) => e.startsWith('4:Comment')),
      errs.join('\n'),
    );

    const tickets = (
      await db.query<{ id: string; trend: string; description: string; sentiment_label: string; n: number }>(
        `SELECT t.id, t.trend, t.description, t.sentiment_label, array_length(t.embedding, 1) AS n FROM tickets t ORDER BY id`,
      )
    ).rows;
    t.deepEqual(
      tickets.map((r) => r.id),
      ['SUP-1', 'SUP-2', 'SUP-3', 'SUP-5'],
    );
    t.true(tickets.every((r) => r.n === 384));
    t.is(tickets.find((r) => r.id === 'SUP-3')!.description.length, 200000);
    t.is(tickets.find((r) => r.id === 'SUP-1')!.trend, 'improving');
    t.is(tickets.find((r) => r.id === 'SUP-5')!.sentiment_label, 'negative');
    const comments = (
      await db.query<{ body: string; label: string }>(
        `SELECT body, label FROM comments WHERE ticket_id = 'SUP-2'`,
      )
    ).rows;
    t.is(comments[0]!.body, 'Merci, très bien; all good');

    // Indexed rows are searchable at once, comments included (the 200 000-character description too).
    const search = new PostgresSearch(db);
    t.deepEqual(
      (await search.search({ q: 'très bien', limit: 10, offset: 0 })).hits.map((h) => h.id),
      ['SUP-2'],
    );
    t.deepEqual(
      (await search.search({ q: 'huge log', limit: 10, offset: 0 })).hits.map((h) => h.id),
      ['SUP-3'],
    );

    await run();
    const [counts] = (
      await db.query<{ t: string; c: string }>(
        'SELECT (SELECT count(*) FROM tickets) AS t, (SELECT count(*) FROM comments) AS c',
      )
    ).rows;
    t.deepEqual(counts, { t: '4', c: '7' });
  },
);

test.serial('Latin-1 export is detected and decoded', async (t) => {
  const { db } = tdb;
  const id = await createJob(db, 'csv', 'latin1.csv', {}, null);
  await runCsvJob(
    { db, ml: new MlClient(ml.url), search: new PostgresSearch(db) },
    { id, path: fixture('latin1.csv'), mapping: DEFAULT_MAPPING },
  );
  t.is((await getJob(db, id))!.rowsIndexed, 2);
  const rows = (
    await db.query<{ summary: string; assignee: string; sentiment_label: string }>(
      `SELECT summary, assignee, sentiment_label FROM tickets WHERE id LIKE 'LAT-%' ORDER BY id`,
    )
  ).rows;
  t.deepEqual(
    rows.map((r) => [r.summary, r.assignee]),
    [
      ['Problème de connexion', 'josé'],
      ['Ça marche', 'zoë'],
    ],
  );
  t.is(rows[1]!.sentiment_label, 'positive');
});
