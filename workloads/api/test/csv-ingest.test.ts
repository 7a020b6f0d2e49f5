import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configFromEnv, createMlServer } from '@sentiment/ml';
import { runCsvJob } from '../src/ingest/csv-job.js';
import { PermanentJobError } from '../src/queue/queue.js';
import { readUploadHead, UploadReadStream, writeUploadChunks } from '../src/ingest/upload-chunks.js';
import { DEFAULT_MAPPING } from '../src/jira/mapping.js';
import { MlClient } from '../src/ml-client.js';
import type { Db } from '../src/store/db.js';
import {
  completeJob,
  createJob,
  createUploadingJob,
  discardUploadingJob,
  failJob,
  getJob,
  sweepStaleUploads,
} from '../src/store/jobs.js';
import { migrate } from '../src/store/migrations.js';
import { createPgliteDb } from '../src/store/pglite-db.js';
import { PostgresSearch } from '../src/search/postgres.js';
import { createTestDatabase, startMl, type TestDatabase } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A queued CSV job whose upload is `source`, stored as the upload route stores it. */
async function queuedUpload(
  db: Db,
  name: string,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  chunkBytes?: number,
): Promise<string> {
  const id = await createJob(db, 'csv', name, { storage: 'database', mapping: DEFAULT_MAPPING }, null);
  await writeUploadChunks(db, id, source, { chunkBytes });
  return id;
}

const chunkCount = async (db: Db, id: string) =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM upload_chunks WHERE job_id = $1', [id]))
    .rows[0]!.n;

async function readAll(stream: UploadReadStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

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
      // Small chunks: the 200 000-character cell spans many, and the reader several windows of them.
      const id = await queuedUpload(db, 'messy-utf8.csv', createReadStream(fixture('messy-utf8.csv')), 4096);
      t.true((await chunkCount(db, id)) > 40);
      await runCsvJob(
        { db, ml: client, search: new PostgresSearch(db), batchRows: 2 },
        { id, mapping: DEFAULT_MAPPING },
      );
      t.is(await chunkCount(db, id), 0, 'a completed job keeps no upload');
      return (await getJob(db, id))!;
    };
    const job = await run();
    t.is(job.state, 'completed');
    t.is(job.bytesRead, 201139);
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
    t.is(job.errorCount, 3, 'one error per row not stored');
    // Row 4 is stored without its malformed comment: a warning, not an error.
    t.deepEqual(
      job.warnings.filter((w) => w.warning.startsWith('Comment')).map((w) => w.row),
      [4],
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
  const id = await queuedUpload(db, 'latin1.csv', createReadStream(fixture('latin1.csv')));
  await runCsvJob(
    { db, ml: new MlClient(ml.url), search: new PostgresSearch(db) },
    { id, mapping: DEFAULT_MAPPING },
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

test.serial(
  "a Windows export's 0x80–0x9F bytes are Windows-1252 (€ ’ “ ”), not control characters",
  async (t) => {
    const { db } = tdb;
    const header = '"Issue key","Summary","Description","Status","Priority","Assignee","Created","Updated"\n';
    // As Excel on Windows writes it: curly quotes and the euro sign are single bytes in 0x80–0x9F.
    const row = Buffer.concat([
      Buffer.from('"WIN-1","'),
      Buffer.from([0x93]), // “
      Buffer.from('Refund'),
      Buffer.from([0x94]), // ”
      Buffer.from(' of 30'),
      Buffer.from([0x80]), // €
      Buffer.from(' isn'),
      Buffer.from([0x92]), // ’
      Buffer.from('t here","","Open","Low","","",""\n'),
    ]);
    const id = await queuedUpload(db, 'windows.csv', [Buffer.from(header), row]);
    await runCsvJob(
      { db, ml: new MlClient(ml.url), search: new PostgresSearch(db) },
      { id, mapping: DEFAULT_MAPPING },
    );
    const [ticket] = (await db.query<{ summary: string }>(`SELECT summary FROM tickets WHERE id = 'WIN-1'`))
      .rows;
    t.is(ticket!.summary, '“Refund” of 30€ isn’t here');
  },
);

test.serial(
  'UTF-8 that turns invalid after the sniffed head: refused with a clear message, no U+FFFD stored',
  async (t) => {
    const { db } = tdb;
    const header = '"Issue key","Summary","Description","Status","Priority","Assignee","Created","Updated"\n';
    // 2 000 ASCII rows (over 64 KB, past what the sniff reads), then one with a Windows byte.
    const ascii = Array.from(
      { length: 2000 },
      (_, i) => `"BAD-${i + 1}","plain ascii summary number ${i + 1}","","Open","Low","","",""\n`,
    ).join('');
    const windows = Buffer.concat([
      Buffer.from('"BAD-LAST","caf'),
      Buffer.from([0xe9]),
      Buffer.from('","","Open","Low","","",""\n'),
    ]);
    const id = await queuedUpload(db, 'mixed.csv', [Buffer.from(header + ascii), windows], 16 * 1024);
    const err = await t.throwsAsync(
      runCsvJob(
        { db, ml: new MlClient(ml.url), search: new PostgresSearch(db) },
        { id, mapping: DEFAULT_MAPPING },
      ),
      { instanceOf: PermanentJobError },
    );
    t.regex(
      err!.message,
      /^the file is not valid UTF-8 \(near byte \d+\).*upload the file again with charset latin1/,
    );
    const replaced = await db.query(
      `SELECT id FROM tickets WHERE id LIKE 'BAD-%' AND summary LIKE '%' || chr(65533) || '%'`,
    );
    t.deepEqual(replaced.rows, [], 'no replacement character reached the database');
    t.deepEqual((await db.query(`SELECT id FROM tickets WHERE id = 'BAD-LAST'`)).rows, []);
  },
);

/** Runs a CSV job on `lines` (header first) and returns the finished job. */
async function ingestLines(db: Db, name: string, lines: string[], batchRows?: number) {
  const id = await queuedUpload(db, name, [Buffer.from(`${lines.join('\n')}\n`)]);
  await runCsvJob(
    { db, ml: new MlClient(ml.url), search: new PostgresSearch(db), batchRows },
    { id, mapping: DEFAULT_MAPPING },
  );
  return (await getJob(db, id))!;
}

test.serial(
  'a key twice in one file: the later row wins, comments included, with a warning naming both rows',
  async (t) => {
    const { db } = tdb;
    const lines = [
      'Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated,Comment,Comment',
      'DUP-1,first,,Open,High,a,01/May/24 9:00 AM,,"01/May/24 9:05 AM;u;Thanks a lot","02/May/24 9:05 AM;u;Great"',
      'DUP-9,other,,Open,High,a,01/May/24 9:00 AM,,"01/May/24 9:05 AM;u;Fine",',
      'DUP-2,two,,Open,High,a,01/May/24 9:00 AM,,"01/May/24 9:05 AM;u;Fine",',
      'DUP-2,two again,,Open,High,a,01/May/24 9:00 AM,,"01/May/24 9:05 AM;u;Fine",',
      'DUP-1,last,,Closed,Low,b,01/May/24 9:00 AM,,"03/May/24 9:05 AM;u;This is awful, I hate it",',
    ];
    // Batches of two: rows 3 and 4 meet in one batch, rows 1 and 5 in different ones.
    const expected = [
      { row: 4, warning: 'DUP-2 is also on row 3: this later row replaces it, comments included' },
      { row: 5, warning: 'DUP-1 is also on row 1: this later row replaces it, comments included' },
    ];
    for (const name of ['dup.csv', 'dup-again.csv']) {
      const job = await ingestLines(db, name, lines, 2);
      t.like(job, { state: 'completed', rowsRead: 5, errorCount: 0, warningCount: 2 });
      // Imported again, the file warns the same: an earlier job's rows are no duplicates.
      t.deepEqual(job.warnings, expected, name);
    }
    const tickets = (
      await db.query<{ id: string; summary: string; sentiment_label: string }>(
        `SELECT id, summary, sentiment_label FROM tickets WHERE id LIKE 'DUP-%' ORDER BY id`,
      )
    ).rows;
    t.deepEqual(
      tickets.map((r) => [r.id, r.summary]),
      [
        ['DUP-1', 'last'],
        ['DUP-2', 'two again'],
        ['DUP-9', 'other'],
      ],
    );
    t.is(tickets[0]!.sentiment_label, 'negative', "the later row's comments only");
    const comments = await db.query<{ body: string }>(`SELECT body FROM comments WHERE ticket_id = 'DUP-1'`);
    t.deepEqual(
      comments.rows.map((r) => r.body),
      ['This is awful, I hate it'],
    );
  },
);

test.serial('a Created or Updated date not understood is left empty, with a warning', async (t) => {
  const { db } = tdb;
  const job = await ingestLines(db, 'dates.csv', [
    'Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated',
    'DATE-1,iso,,Open,High,a,2024-05-01 09:00,31/Feb/24 9:00 AM',
    'DATE-2,jira,,Open,High,a,01/May/24 9:00 AM,02/May/24 10:30 PM',
  ]);
  t.like(job, { state: 'completed', rowsScored: 2, errorCount: 0 });
  t.deepEqual(job.warnings, [
    { row: 1, warning: 'Created: "2024-05-01 09:00" is not a date like "01/May/24 9:05 AM"; left empty' },
    { row: 1, warning: 'Updated: "31/Feb/24 9:00 AM" is not a date like "01/May/24 9:05 AM"; left empty' },
  ]);
  const rows = (
    await db.query<{ id: string; created_at: Date | null; updated_at: Date | null }>(
      `SELECT id, created_at, updated_at FROM tickets WHERE id LIKE 'DATE-%' ORDER BY id`,
    )
  ).rows;
  t.deepEqual(
    rows.map((r) => [r.id, r.created_at?.toISOString() ?? null, r.updated_at?.toISOString() ?? null]),
    [
      ['DATE-1', null, null],
      ['DATE-2', '2024-05-01T09:00:00.000Z', '2024-05-02T22:30:00.000Z'],
    ],
  );
});

test.serial(
  'a ticket without comments is scored on its description; one with comments on its comments',
  async (t) => {
    const { db } = tdb;
    const job = await ingestLines(db, 'description.csv', [
      'Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated,Comment',
      'DESC-1,Login,"This is terrible, nothing works and I am furious",Open,High,a,,,',
      'DESC-2,Empty,,Open,High,a,,,',
      'DESC-3,Mixed,"This is terrible, nothing works",Open,High,a,,,"01/May/24 9:05 AM;u;Thank you, wonderful support!"',
    ]);
    t.like(job, { state: 'completed', rowsScored: 3, errorCount: 0, warningCount: 0 });
    const rows = (
      await db.query<{ id: string; sentiment_label: string | null; sentiment_score: number | null }>(
        `SELECT id, sentiment_label, sentiment_score FROM tickets WHERE id LIKE 'DESC-%' ORDER BY id`,
      )
    ).rows;
    t.deepEqual(
      rows.map((r) => [r.id, r.sentiment_label]),
      [
        ['DESC-1', 'negative'],
        ['DESC-2', null],
        ['DESC-3', 'positive'],
      ],
    );
    t.true(rows[0]!.sentiment_score! < 0);
    t.is(rows[1]!.sentiment_score, null, 'nothing to score');
  },
);

/** `rows` valid tickets PIPE-1.. with one comment each; `longComment` gets a 2000-character comment. */
function pipeCsv(rows: number, longComment?: number): Buffer {
  const lines = ['Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated,Comment'];
  for (let i = 1; i <= rows; i++) {
    const text =
      i === longComment ? 'slow '.repeat(400) : i % 2 ? 'Thanks, works great' : 'Still broken, awful';
    lines.push(
      `PIPE-${i},Ticket ${i},About ${i},Open,High,agent,01/May/24 9:00 AM,,"01/May/24 9:05 AM;user;${text}"`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

const jobRow = async (db: Db, id: string) =>
  (
    await db.query<{ state: string; checkpoint: number; rows_scored: number }>(
      'SELECT state, checkpoint, rows_scored FROM jobs WHERE id = $1',
      [id],
    )
  ).rows[0]!;

const pipeTickets = async (db: Db) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE id LIKE 'PIPE-%'`)).rows[0]!.n;

test.serial(
  'a scoring error fails the attempt once the write in flight has landed; the retry resumes there',
  async (t) => {
    const { db } = tdb;
    await db.query(`DELETE FROM tickets WHERE id LIKE 'PIPE-%'`);
    // The real ML service with a small text limit: row 11's long comment is refused (400).
    const strict = await createMlServer({ ...configFromEnv({ ML_MAX_TEXT_BYTES: '1000' }), threads: 1 });
    const strictUrl = await strict.listen(0);
    t.teardown(() => strict.close());
    const id = await queuedUpload(db, 'pipe.csv', [pipeCsv(20, 11)]);
    const deps = { db, search: new PostgresSearch(db), batchRows: 4 };
    // Batch 3 (rows 9-12) fails to score while batch 2 is being written.
    const err = await t.throwsAsync(
      runCsvJob({ ...deps, ml: new MlClient(strictUrl) }, { id, mapping: DEFAULT_MAPPING }),
    );
    t.regex(err.message, /too long/);
    t.like(await jobRow(db, id), { checkpoint: 8, rows_scored: 8 }, 'batches 1 and 2 written, nothing after');
    t.is(await pipeTickets(db), 8);
    t.true((await chunkCount(db, id)) > 0, 'the upload stays for the retry');

    await runCsvJob({ ...deps, ml: new MlClient(ml.url) }, { id, mapping: DEFAULT_MAPPING });
    t.like(await jobRow(db, id), { state: 'completed', checkpoint: 20, rows_scored: 20 });
    t.is(await pipeTickets(db), 20);
  },
);

test.serial('a write error fails the attempt with the checkpoint on the last written batch', async (t) => {
  const { db } = tdb;
  await db.query(`DELETE FROM tickets WHERE id LIKE 'PIPE-%'`);
  // A real database error in batch 4 (rows 13-16), while batch 5 is being parsed and scored.
  await db.query(`CREATE FUNCTION pipe_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.id = 'PIPE-15' THEN RAISE EXCEPTION 'refusing %', NEW.id; END IF; RETURN NEW; END $$`);
  await db.query(
    'CREATE TRIGGER pipe_refuse BEFORE INSERT OR UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION pipe_refuse()',
  );
  t.teardown(() => db.query('DROP FUNCTION IF EXISTS pipe_refuse() CASCADE'));
  const id = await queuedUpload(db, 'pipe.csv', [pipeCsv(20)]);
  const deps = { db, ml: new MlClient(ml.url), search: new PostgresSearch(db), batchRows: 4 };
  const err = await t.throwsAsync(runCsvJob(deps, { id, mapping: DEFAULT_MAPPING }));
  t.regex(err.message, /refusing PIPE-15/);
  t.like(await jobRow(db, id), { checkpoint: 12, rows_scored: 12 });
  t.is(await pipeTickets(db), 12);

  await db.query('DROP FUNCTION pipe_refuse() CASCADE');
  await runCsvJob(deps, { id, mapping: DEFAULT_MAPPING });
  t.like(await jobRow(db, id), { state: 'completed', checkpoint: 20, rows_scored: 20 });
  t.is(await pipeTickets(db), 20);
});

for (const engine of ['postgres', 'pglite'] as const) {
  test.serial(
    `${engine}: an upload is stored in chunks, read back byte for byte, and deleted with its job`,
    async (t) => {
      let db: Db = tdb.db;
      if (engine === 'pglite') {
        db = await createPgliteDb();
        t.teardown(() => db.close());
        await migrate(db);
      }
      // Every byte value, not valid UTF-8; 2.5 chunks, arriving in pieces that do not line up with them.
      const file = randomBytes(2.5 * 1024 * 1024);
      const pieces = async function* () {
        for (let at = 0; at < file.length; at += 100_000) yield file.subarray(at, at + 100_000);
      };
      const id = await queuedUpload(db, 'random.bin', pieces());
      const sizes = (
        await db.query<{ seq: number; size: number }>(
          'SELECT seq, length(data) AS size FROM upload_chunks WHERE job_id = $1 ORDER BY seq',
          [id],
        )
      ).rows;
      t.deepEqual(
        sizes.map((r) => [r.seq, r.size]),
        [
          [0, 1024 * 1024],
          [1, 1024 * 1024],
          [2, 512 * 1024],
        ],
      );

      const stream = new UploadReadStream(db, id);
      t.true((await readAll(stream)).equals(file), 'reassembled byte for byte');
      t.is(stream.bytesRead, file.length);
      t.true((await readUploadHead(db, id, 65536))!.equals(file.subarray(0, 65536)));
      t.is(await readUploadHead(db, 'no-such-job', 65536), null);

      // A lost chunk is an error, not a file with a hole.
      await db.query('DELETE FROM upload_chunks WHERE job_id = $1 AND seq = 1', [id]);
      await t.throwsAsync(readAll(new UploadReadStream(db, id)), { message: /lacks chunk 1/ });
      await t.throwsAsync(readAll(new UploadReadStream(db, 'no-such-job')), { message: /no stored upload/ });

      // Completing or failing a job deletes its upload; so does discarding one still uploading.
      await completeJob(db, id);
      t.is(await chunkCount(db, id), 0);
      const failing = await queuedUpload(db, 'failing.csv', [Buffer.from('a,b\n')]);
      await failJob(db, failing, 'gave up');
      t.is(await chunkCount(db, failing), 0);
      await createUploadingJob(db, 'uploading-1', 'cut.csv', {}, null);
      await writeUploadChunks(db, 'uploading-1', [Buffer.from('a,b\n')]);
      t.is(await getJob(db, 'uploading-1'), null, 'an upload still arriving is not a job yet');
      await discardUploadingJob(db, 'uploading-1');
      t.is(await chunkCount(db, 'uploading-1'), 0);
      t.is((await db.query('SELECT 1 FROM jobs WHERE id = $1', ['uploading-1'])).rows.length, 0);

      // An upload whose API process died stops touching its row: once silent long enough, it is swept.
      for (const id of ['dead-upload', 'live-upload']) {
        await createUploadingJob(db, id, `${id}.csv`, {}, null);
        await writeUploadChunks(db, id, [Buffer.from('a,b\n')]);
      }
      await db.query(`UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE id = 'dead-upload'`);
      await sweepStaleUploads(db, 3600);
      t.is(await chunkCount(db, 'dead-upload'), 0);
      t.is(await chunkCount(db, 'live-upload'), 1);
      t.deepEqual(
        (await db.query<{ id: string }>(`SELECT id FROM jobs WHERE state = 'uploading'`)).rows.map(
          (r) => r.id,
        ),
        ['live-upload'],
      );
      await discardUploadingJob(db, 'live-upload');
    },
  );
}
