// Cells that Postgres or OpenSearch cannot take (issue #15, finding 6): each fails its own row with an
// error naming it, or is cleaned with a warning; the rest of the batch is stored and the job completes.
// Real Postgres, OpenSearch and ML service; Postgres and the index must end up holding the same tickets.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { loadTestEnv } from '@sentiment/testenv';
import { pino } from 'pino';
import { runCsvJob } from '../src/ingest/csv-job.js';
import { ingestJsonBatch } from '../src/ingest/json-batch.js';
import { writeUploadChunks } from '../src/ingest/upload-chunks.js';
import { DEFAULT_MAPPING } from '../src/jira/mapping.js';
import { MlClient } from '../src/ml-client.js';
import { OpenSearchSearch } from '../src/search/opensearch.js';
import { createJob, getJob, type JobView } from '../src/store/jobs.js';
import { createTestDatabase, startMl, type TestDatabase } from './helpers.js';

const HEADER = [
  'Issue key',
  'Summary',
  'Description',
  'Status',
  'Priority',
  'Assignee',
  'Created',
  'Updated',
];
type Cells = Partial<
  Record<'summary' | 'description' | 'status' | 'priority' | 'assignee' | 'comment', string>
>;

let tdb: TestDatabase;
let ml: Awaited<ReturnType<typeof startMl>>;
let search: OpenSearchSearch;
let os: Client;

test.before(async () => {
  tdb = await createTestDatabase('badcells');
  ml = await startMl();
  os = new Client({ node: loadTestEnv().OPENSEARCH_URL });
  search = new OpenSearchSearch({
    url: loadTestEnv().OPENSEARCH_URL,
    indexPrefix: `apitest-${randomBytes(4).toString('hex')}-`,
    db: tdb.db,
    log: pino({ level: 'silent' }),
  });
});
test.after.always(async () => {
  if (search && (await os.indices.exists({ index: search.indexName })).body)
    await os.indices.delete({ index: search.indexName });
  await search?.close();
  await os?.close();
  await tdb?.drop();
  await ml?.server.close();
});

/** Incompressible text (Postgres compresses long index entries before it checks their size). */
const noise = (chars: number) => randomBytes(chars / 2).toString('hex');

/** `rows` under ids `<prefix>-1`, ...; a row without cells is a plain, valid ticket with one comment. */
function csv(prefix: string, rows: Cells[]): Buffer {
  const quote = (cell: string) => `"${cell.replaceAll('"', '""')}"`;
  const lines = [[...HEADER, 'Comment'].map(quote).join(',')];
  rows.forEach((r, i) => {
    const cells = [
      `${prefix}-${i + 1}`,
      r.summary ?? `Ticket ${i + 1}`,
      r.description ?? 'About it',
      r.status ?? 'Open',
      r.priority ?? 'High',
      r.assignee ?? 'agent',
      '01/May/24 9:00 AM',
      '02/May/24 9:00 AM',
      `01/May/24 9:05 AM;user;${r.comment ?? 'Thanks, works great'}`,
    ];
    lines.push(cells.map(quote).join(','));
  });
  return Buffer.from(`${lines.join('\n')}\n`);
}

interface Outcome {
  job: JobView;
  /** Ticket ids stored in Postgres and in the search index. */
  stored: string[];
  indexed: string[];
}

async function ingest(prefix: string, rows: Cells[], batchRows = 4, into = search): Promise<Outcome> {
  const { db } = tdb;
  const id = await createJob(db, 'csv', `${prefix}.csv`, { storage: 'database' }, null);
  await writeUploadChunks(db, id, [csv(prefix, rows)]);
  await runCsvJob(
    { db, ml: new MlClient(ml.url), search: into, batchRows },
    { id, mapping: DEFAULT_MAPPING },
  );
  const stored = (
    await db.query<{ id: string }>(`SELECT id FROM tickets WHERE id LIKE $1 || '-%' ORDER BY id`, [prefix])
  ).rows.map((r) => r.id);
  const hits = await os.search({
    index: into.indexName,
    body: { query: { prefix: { id: `${prefix}-` } }, size: 100, _source: false, sort: [{ id: 'asc' }] },
  });
  const indexed = (hits.body.hits.hits as { _id: string }[]).map((h) => h._id);
  return { job: (await getJob(db, id))!, stored, indexed };
}

function completedWithout(t: ExecutionContext, o: Outcome, prefix: string, all: number, refused: number[]) {
  t.is(o.job.state, 'completed', o.job.failure ?? '');
  t.is(o.job.rowsRead, all);
  t.is(o.job.rowsScored, all - refused.length);
  t.is(o.job.rowsIndexed, all - refused.length);
  t.deepEqual(
    o.job.errors.map((e) => e.row),
    refused,
  );
  const expected = Array.from({ length: all }, (_, i) => i + 1)
    .filter((row) => !refused.includes(row))
    .map((row) => `${prefix}-${row}`)
    .sort();
  t.deepEqual(o.stored, expected, 'Postgres holds every other row');
  t.deepEqual(o.indexed, expected, 'the search index holds the same tickets');
}

test.serial('a Status, Priority or Assignee over the btree entry limit fails its row only', async (t) => {
  // 4000 bytes each: over Postgres's 2704-byte btree entry, under OpenSearch's 32 KB term.
  const o = await ingest('BT', [
    {},
    { status: noise(4000) },
    { priority: noise(4000) },
    {},
    { assignee: noise(4000) },
  ]);
  completedWithout(t, o, 'BT', 5, [2, 3, 5]);
  t.deepEqual(
    o.job.errors.map((e) => e.error),
    [
      'Status: 4000 characters, at most 100',
      'Priority: 4000 characters, at most 100',
      'Assignee: 4000 characters, at most 200',
    ],
  );
});

test.serial('a keyword over OpenSearch’s 32 KB term limit fails its row only', async (t) => {
  const o = await ingest('KW', [{}, { assignee: noise(40_000) }, {}]);
  completedWithout(t, o, 'KW', 3, [2]);
  t.is(o.job.errors[0]!.error, 'Assignee: 40000 characters, at most 200');
});

test.serial('a summary whose tsvector would pass 1 MB fails its row only', async (t) => {
  // 40 000 distinct 32-character words: 1.3 MB of lexemes, which Postgres refuses (its limit is 1 MB).
  const summary = Array.from({ length: 40_000 }, () => noise(32)).join(' ');
  const o = await ingest('TS', [{}, { summary }, {}]);
  completedWithout(t, o, 'TS', 3, [2]);
  t.is(o.job.errors[0]!.error, `Summary: ${summary.length} characters, at most 10000`);
});

test.serial(
  'cells at the limits are stored whole: the limits keep below what Postgres refuses',
  async (t) => {
    // The text with the largest tsvector per character: distinct one-character words of 3 or 4 bytes.
    const ideographs = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => String.fromCodePoint(from + i)).join(' ');
    const summary = ideographs(5000, 0x4e00).padEnd(10_000, '!');
    // Only the first 100 000 characters are searchable: 50 000 four-byte one-character words, then more.
    // (pg_column_size below measures a recomputed, uncompressed vector.)
    const description = ideographs(80_000, 0x20000);
    const status = ideographs(50, 0x5e00).padEnd(100, '?');
    const assignee = ideographs(100, 0x6e00).padEnd(200, '?');
    const o = await ingest('LIM', [{ summary, description, status, priority: status, assignee }, {}]);
    completedWithout(t, o, 'LIM', 2, []);
    const [row] = (
      await tdb.db.query<{ summary: string; description: string; assignee: string; bytes: number }>(
        `SELECT summary, description, assignee, pg_column_size(search_vector::text::tsvector) AS bytes FROM tickets WHERE id = 'LIM-1'`,
      )
    ).rows;
    t.is(row!.summary, summary);
    t.is(row!.description, description);
    t.is(row!.assignee, assignee);
    t.true(row!.bytes > 500_000 && row!.bytes < 1_048_576, `tsvector of ${row!.bytes} bytes`);
  },
);

test.serial('NUL characters are removed with a warning, and the row is stored', async (t) => {
  const o = await ingest('NUL', [{}, { description: 'before\0after', comment: 'Thanks\0, works great' }, {}]);
  completedWithout(t, o, 'NUL', 3, []);
  t.deepEqual(o.job.warnings, [
    { row: 2, warning: 'Description: NUL characters removed (they cannot be stored)' },
    { row: 2, warning: 'Comment: NUL characters removed (they cannot be stored)' },
  ]);
  const [row] = (
    await tdb.db.query<{ description: string; body: string }>(
      `SELECT t.description, c.body FROM tickets t JOIN comments c ON c.ticket_id = t.id WHERE t.id = 'NUL-2'`,
    )
  ).rows;
  t.deepEqual(row, { description: 'beforeafter', body: 'Thanks, works great' });
});

test.serial(
  'any value Postgres refuses fails its row, named, and the rest of its batch is stored',
  async (t) => {
    // A refusal no check before the write knows of: a constraint of the database itself.
    await tdb.db.query(`ALTER TABLE tickets ADD CONSTRAINT refuse_poison CHECK (summary <> 'poison')`);
    t.teardown(() => tdb.db.query('ALTER TABLE tickets DROP CONSTRAINT IF EXISTS refuse_poison'));
    // One batch of five: rows 2 and 4 break it, the other three are written.
    const o = await ingest('PG', [{}, { summary: 'poison' }, {}, { summary: 'poison' }, {}], 5);
    completedWithout(t, o, 'PG', 5, [2, 4]);
    t.regex(o.job.errors[0]!.error, /^not stored: .*violates check constraint "refuse_poison"/);
    // The dashboard's roll-ups count the stored tickets only.
    const [facet] = (
      await tdb.db.query<{ tickets: number }>(
        `SELECT sum(tickets)::int AS tickets FROM ticket_facets WHERE dim = 'label'`,
      )
    ).rows;
    const [count] = (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows;
    t.is(facet!.tickets, count!.n);
  },
);

test.serial(
  'any value the search index refuses fails its row, and Postgres does not keep it either',
  async (t) => {
    // A refusal no check before the write knows of: an index whose mapping takes priorities as numbers.
    const strict = new OpenSearchSearch({
      url: loadTestEnv().OPENSEARCH_URL,
      indexPrefix: `apitest-${randomBytes(4).toString('hex')}-`,
      db: tdb.db,
      log: pino({ level: 'silent' }),
    });
    await os.indices.create({
      index: strict.indexName,
      body: { mappings: { properties: { id: { type: 'keyword' }, priority: { type: 'integer' } } } },
    });
    t.teardown(async () => {
      await os.indices.delete({ index: strict.indexName });
      await strict.close();
    });
    // One batch of four: rows 2 and 4 are refused by the index, rows 1 and 3 stored in both.
    const o = await ingest(
      'OS',
      [{ priority: '1' }, { priority: 'High' }, { priority: '2' }, { priority: 'Low' }],
      4,
      strict,
    );
    completedWithout(t, o, 'OS', 4, [2, 4]);
    t.regex(
      o.job.errors[0]!.error,
      /^not indexed: mapper_parsing_exception: failed to parse field \[priority\]/,
    );
    t.deepEqual(o.job.warnings, []);
  },
);

test.serial('a JSON batch: the same cells fail their items only, and a key twice is a warning', async (t) => {
  const item = (id: string, extra: object = {}) => ({
    id,
    summary: 'Login',
    comments: [{ at: '2024-05-01T09:05:00Z', author: 'u', text: 'Thanks, works great' }],
    ...extra,
  });
  const job = await ingestJsonBatch(
    { db: tdb.db, ml: new MlClient(ml.url), search },
    [
      item('JS-1'),
      item('JS-2', { status: noise(4000) }),
      item('JS-3', { description: 'before\0after' }),
      item('JS-4', { summary: 'x'.repeat(10_001) }),
      item('JS-1', { summary: 'again' }),
    ],
    'test',
  );
  t.like(job, { state: 'completed', rowsRead: 5, rowsScored: 2, rowsIndexed: 2, errorCount: 3 });
  t.deepEqual(
    job.errors.map((e) => e.row),
    [2, 3, 4],
  );
  t.regex(job.errors[1]!.error, /description.*NUL/);
  t.deepEqual(job.warnings, [
    { row: 5, warning: 'JS-1 is also on row 1: this later row replaces it, comments included' },
  ]);
  const [row] = (await tdb.db.query<{ summary: string }>(`SELECT summary FROM tickets WHERE id = 'JS-1'`))
    .rows;
  t.is(row!.summary, 'again');
});
