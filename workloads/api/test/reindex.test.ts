// The `reindex` role on the real OpenSearch and Postgres: a tenant's index rebuilt from its database gives
// the searches it gave before, without documents of tickets the database no longer holds; a document the
// index refuses fails the run without keeping the other tickets out. Each test has its own database and
// index prefix.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@opensearch-project/opensearch';
import { REINDEX_ARGS } from '@sentiment/crds';
import { loadTestEnv } from '@sentiment/testenv';
import { pino } from 'pino';
import { ingestJsonBatch } from '../src/ingest/json-batch.js';
import { MlClient } from '../src/ml-client.js';
import type { SearchQuery, SearchResult } from '../src/search/backend.js';
import { OpenSearchSearch } from '../src/search/opensearch.js';
import { reindex } from '../src/search/reindex.js';
import { ticketsToIndex } from '../src/store/tickets-read.js';
import { labelOf, ticketRollup } from '../src/store/tickets.js';
import { createTestDatabase, startMl, type TestDatabase } from './helpers.js';

const apiRoot = fileURLToPath(new URL('..', import.meta.url));
const log = pino({ level: 'silent' });

const comment = (at: string, text: string) => ({ at, author: 'customer', text });
// The test cluster's standard analyzer does not stem: queries use the words as written.
const TICKETS = [
  {
    id: 'R-1',
    summary: 'Printer fails every morning',
    description: 'The office printer fails to print the daily report. Urgent.',
    status: 'Open',
    priority: 'High',
    assignee: 'ann',
    createdAt: '2024-02-20T09:00:00Z',
    updatedAt: '2024-03-10T09:00:00Z',
    comments: [
      comment('2024-03-01T10:00:00Z', 'This is awful, the printer still fails and I am furious.'),
      comment('2024-03-02T10:00:00Z', 'Still broken, nothing works, terrible.'),
    ],
  },
  {
    id: 'R-2',
    summary: 'Printer toner question',
    description: 'How do I order new toner for the printer? Not urgent.',
    status: 'Closed',
    priority: 'Low',
    assignee: 'bob',
    createdAt: '2024-01-02T09:00:00Z',
    updatedAt: '2024-01-05T09:00:00Z',
    comments: [comment('2024-01-04T10:00:00Z', 'Thank you so much, the toner arrived and works great!')],
  },
  {
    id: 'R-3',
    summary: 'Login page slow',
    description: 'Login takes a minute, somewhat urgent.',
    status: 'Open',
    priority: 'Medium',
    assignee: null,
    createdAt: '2024-02-10T09:00:00Z',
    updatedAt: null,
    comments: [comment('2024-02-11T10:00:00Z', 'The kerberos renewal is the bottleneck here.')],
  },
  // No comments: rolled up from the description alone.
  {
    id: 'R-4',
    summary: 'Refund button label typo',
    description: 'The refund button reads "refnud", a silly typo on the printer settings page.',
    status: 'Open',
    priority: 'Low',
    assignee: 'cat',
    createdAt: '2024-01-10T09:00:00Z',
    updatedAt: '2024-01-11T09:00:00Z',
    comments: [],
  },
  {
    id: 'R-5',
    summary: 'Charged twice for one order',
    description: 'My credit card was billed two times and I want a refund. This is unacceptable and awful.',
    status: 'Open',
    priority: 'High',
    assignee: 'cat',
    createdAt: '2024-01-12T09:00:00Z',
    updatedAt: '2024-01-13T09:00:00Z',
    comments: [],
  },
];

let ml: Awaited<ReturnType<typeof startMl>>;
let mlClient: MlClient;
let os: Client;

test.before(async () => {
  os = new Client({ node: loadTestEnv().OPENSEARCH_URL });
  ml = await startMl();
  mlClient = new MlClient(ml.url);
});

test.after.always(async () => {
  await os?.close();
  await ml?.server.close();
});

interface Tenant {
  tdb: TestDatabase;
  prefix: string;
  search: OpenSearchSearch;
}

/** A fresh database and index prefix holding TICKETS, ingested as the batch route does; removed after the test. */
async function tenant(t: ExecutionContext): Promise<Tenant> {
  const tdb = await createTestDatabase('reindex');
  const prefix = `apitest-reindex-${randomBytes(4).toString('hex')}`;
  const search = new OpenSearchSearch({
    url: loadTestEnv().OPENSEARCH_URL,
    indexPrefix: prefix,
    db: tdb.db,
    log,
  });
  t.teardown(async () => {
    await search.close();
    await os.indices.delete({ index: search.indexName, ignore_unavailable: true });
    await tdb.drop();
  });
  const job = await ingestJsonBatch({ db: tdb.db, ml: mlClient, search }, TICKETS, 'test');
  t.like(job, { rowsScored: TICKETS.length, rowsIndexed: TICKETS.length });
  return { tdb, prefix, search };
}

const query = (q: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  q,
  limit: 20,
  offset: 0,
  ...extra,
});
const BILLING = 'I was charged twice on my credit card and want my money back';

/** What a few searches answer: lexical, filtered by label and status, re-ranked by meaning. */
async function answers(search: OpenSearchSearch) {
  const billing = (await mlClient.embeddings([BILLING]))[0]!;
  const results = {
    printer: await search.search(query('printer')),
    negative: await search.search(query('printer', { label: 'negative' })),
    open: await search.search(query('urgent', { status: 'Open' })),
    kerberos: await search.search(query('kerberos')),
    refund: await search.search(query('refund'), billing),
  };
  // Numbers are compared apart (sameAnswers): a rebuilt document's roll-up is computed from the scores
  // Postgres stored as real (float4), the ingest's from the ML service's doubles.
  const split = (r: SearchResult) => ({
    total: r.total,
    hits: r.hits.map(({ score: _s, sentimentScore: _ss, ...h }) => h),
    numbers: r.hits.flatMap((h) => [h.score, h.sentimentScore ?? Number.NaN]),
  });
  return Object.fromEntries(Object.entries(results).map(([k, r]) => [k, split(r)]));
}

function sameAnswers(t: ExecutionContext, actual: Answers, expected: Answers) {
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k]!;
    t.deepEqual({ total: a.total, hits: a.hits }, { total: e.total, hits: e.hits }, k);
    t.is(a.numbers.length, e.numbers.length, k);
    a.numbers.forEach((n, i) => t.true(near(n, e.numbers[i]!), `${k}: ${n} vs ${e.numbers[i]}`));
  }
}
type Answers = Awaited<ReturnType<typeof answers>>;
const near = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) < 1e-5;

async function documentCount(index: string): Promise<number> {
  return (await os.count({ index })).body.count;
}

/** `node src/main.ts reindex` with only `env`: its exit code and its output's lines. */
function runEntry(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'src/main.ts', ...REINDEX_ARGS],
    {
      cwd: apiRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        // The data services' CA, as the operator mounts it in the Job's pod.
        ...(process.env.NODE_EXTRA_CA_CERTS && { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
        SENTIMENT_PLATFORM: 'test',
        ML_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines: output.trim().split('\n') }));
  });
}

/** A JSON log line's fields; a plain line (a configuration error) as its message. */
function logLine(line: string): { msg: string; ticket?: string; reason?: string } {
  try {
    return JSON.parse(line) as { msg: string };
  } catch {
    return { msg: line };
  }
}
const message = (line: string) => logLine(line).msg;

test('reindex rebuilds the index from the database: the same answers, documents of deleted tickets gone', async (t) => {
  const { tdb, search } = await tenant(t);
  const before = await answers(search);
  t.deepEqual(before.printer!.hits.map((h) => h.id).sort(), ['R-1', 'R-2', 'R-4']);
  // The label filter narrows (R-2 is the grateful one).
  t.true(before.negative!.total > 0 && before.negative!.total < before.printer!.total);
  // A document of a ticket the database does not hold (as after restoring an older backup).
  const [ghost] = await ticketsToIndex(tdb.db, '', 1, Number.MAX_SAFE_INTEGER);
  await search.index([{ ...ghost!, ticket: { ...ghost!.ticket, id: 'GHOST-1' } }]);
  await search.refresh();
  t.true((await search.search(query('printer'))).hits.some((h) => h.id === 'GHOST-1'));

  const result = await reindex({ db: tdb.db, search, log }, { batchTickets: 2 });
  t.like(result, { batches: 3, indexed: TICKETS.length, refused: [] });
  t.is(await documentCount(search.indexName), TICKETS.length);
  sameAnswers(t, await answers(search), before);
});

test('ticketsToIndex pages by id and cuts a batch by bytes; the stored roll-up comes back', async (t) => {
  const { tdb } = await tenant(t);
  const ids = (await tdb.db.query<{ id: string }>('SELECT id FROM tickets ORDER BY id')).rows.map(
    (r) => r.id,
  );
  const all = await ticketsToIndex(tdb.db, '', 100, Number.MAX_SAFE_INTEGER);
  t.deepEqual(
    all.map((s) => s.ticket.id),
    ids,
  );
  t.deepEqual(
    (await ticketsToIndex(tdb.db, ids[1]!, 100, Number.MAX_SAFE_INTEGER)).map((s) => s.ticket.id),
    ids.slice(2),
  );
  // A batch holds one ticket at least, however small the budget.
  t.is((await ticketsToIndex(tdb.db, '', 100, 1)).length, 1);
  t.deepEqual(await ticketsToIndex(tdb.db, ids.at(-1)!, 100, Number.MAX_SAFE_INTEGER), []);
  const stored = new Map(
    (
      await tdb.db.query<{ id: string; sentiment_score: number; sentiment_label: string; trend: string }>(
        'SELECT id, sentiment_score, sentiment_label, trend FROM tickets',
      )
    ).rows.map((r) => [r.id, r]),
  );
  for (const item of all) {
    const row = stored.get(item.ticket.id)!;
    const roll = ticketRollup(item);
    t.true(near(roll.score!, row.sentiment_score), item.ticket.id);
    t.is<string, string>(labelOf(roll.score!), row.sentiment_label, item.ticket.id);
    t.is<string, string>(roll.trend, row.trend, item.ticket.id);
    t.is(item.embedding?.length, 384, item.ticket.id);
  }
  const r1 = all.find((s) => s.ticket.id === 'R-1')!;
  t.deepEqual(
    r1.ticket.comments.map((c) => c.text),
    TICKETS[0]!.comments.map((c) => c.text),
  );
  t.is(r1.ticket.updatedAt?.toISOString(), '2024-03-10T09:00:00.000Z');
});

test('node src/main.ts reindex re-creates a deleted index and exits 0 with the count', async (t) => {
  const { tdb, prefix, search } = await tenant(t);
  const before = await answers(search);
  await os.indices.delete({ index: search.indexName });
  // A cluster's environment (no LOCAL_MODE), without the Redis the rebuild does not use.
  const { code, lines } = await runEntry({
    DATABASE_URL: tdb.url,
    OPENSEARCH_URL: loadTestEnv().OPENSEARCH_URL,
    OPENSEARCH_INDEX_PREFIX: prefix,
  });
  t.is(code, 0, lines.join('\n'));
  t.is(message(lines.at(-1)!), `reindex finished: ${TICKETS.length} tickets indexed`);
  t.true(lines.some((l) => message(l) === 'reindex progress'));
  sameAnswers(t, await answers(search), before);
});

test('without OpenSearch there is nothing to rebuild; a failure exits 1 with one line', async (t) => {
  const tdb = await createTestDatabase('reindex_pg');
  t.teardown(() => tdb.drop());
  const postgres = await runEntry({ LOCAL_MODE: 'true', DATABASE_URL: tdb.url });
  t.is(postgres.code, 0, postgres.lines.join('\n'));
  t.regex(message(postgres.lines.at(-1)!), /^reindex: nothing to rebuild/);
  // Nothing listens on port 9.
  const failed = await runEntry({
    DATABASE_URL: tdb.url,
    OPENSEARCH_URL: 'http://127.0.0.1:9',
    OPENSEARCH_INDEX_PREFIX: `apitest-reindex-${randomBytes(4).toString('hex')}`,
  });
  t.is(failed.code, 1, failed.lines.join('\n'));
  t.regex(message(failed.lines.at(-1)!), /^reindex failed: .*ECONNREFUSED/);
  const missing = await runEntry({ DATABASE_URL: tdb.url });
  t.is(missing.code, 1);
  t.regex(missing.lines.join('\n'), /OPENSEARCH_URL: required/);
  t.notRegex(missing.lines.join('\n'), /REDIS_URL/);
});

test('a document the index refuses is logged by ticket id and fails the run; the others are indexed', async (t) => {
  const { tdb, prefix, search } = await tenant(t);
  // A keyword over Lucene's 32766-byte term limit: OpenSearch refuses the document (400). The ingest
  // caps status far below it; Postgres stores it (its btree entry is compressed).
  await tdb.db.query(
    `INSERT INTO tickets (id, summary, description, status) VALUES ('R-0', 'Printer on fire', '', $1)`,
    ['x'.repeat(40_000)],
  );
  const result = await reindex({ db: tdb.db, search, log }, { batchTickets: 4 });
  t.is(result.indexed, TICKETS.length);
  t.deepEqual(
    result.refused.map((r) => r.id),
    ['R-0'],
  );
  t.regex(result.refused[0]!.reason, /immense term|max_bytes_length_exceeded/);
  t.is(await documentCount(search.indexName), TICKETS.length);
  t.deepEqual((await search.search(query('printer'))).hits.map((h) => h.id).sort(), ['R-1', 'R-2', 'R-4']);

  const { code, lines } = await runEntry({
    DATABASE_URL: tdb.url,
    OPENSEARCH_URL: loadTestEnv().OPENSEARCH_URL,
    OPENSEARCH_INDEX_PREFIX: prefix,
  });
  t.is(code, 1, lines.join('\n'));
  const refusedLine = lines.map(logLine).find((l) => l.ticket === 'R-0');
  t.is(refusedLine?.msg, 'ticket not indexed: the index refused its document');
  t.regex(refusedLine?.reason ?? '', /immense term|max_bytes_length_exceeded/);
  t.is(
    message(lines.at(-1)!),
    `reindex finished with errors: ${TICKETS.length} tickets indexed, 1 refused by the index (logged above)`,
  );
});
