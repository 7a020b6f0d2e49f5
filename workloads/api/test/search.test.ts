// Search on the real engines: OpenSearch (one index per tenant prefix), Postgres full-text search on
// node-postgres and on PGlite, with tickets scored and embedded by the real ML service.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { loadTestEnv } from '@sentiment/testenv';
import { pino } from 'pino';
import { ingestJsonBatch } from '../src/ingest/json-batch.js';
import { MlClient } from '../src/ml-client.js';
import { searchResponse } from '../src/routes/search.js';
import type { SearchBackend, SearchQuery, SearchResult } from '../src/search/backend.js';
import { MATCH_START, matchedFragments, stripSentinels, toSegments } from '../src/search/highlight.js';
import { OpenSearchSearch } from '../src/search/opensearch.js';
import { PostgresSearch } from '../src/search/postgres.js';
import { cosine, lexicalRange, RERANK_WINDOW, rerank } from '../src/search/rerank.js';
import { createApiServer, type ApiServer } from '../src/server.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { createPgliteDb } from '../src/store/pglite-db.js';
import { createTestDatabase, startMl, testConfig, type TestDatabase } from './helpers.js';

const log = pino({ level: 'silent' });
const prefix = `apitest-${randomBytes(4).toString('hex')}`;

const comment = (at: string, text: string) => ({ at, author: 'customer', text });
// The standard analyzer of the test OpenSearch does not stem, so queries use the words as written.
const TENANT_A = [
  {
    id: 'S-1',
    summary: 'Printer fails every morning',
    description: 'The office printer fails to print the daily report. Urgent, paper jams repeatedly.',
    status: 'Open',
    priority: 'High',
    assignee: 'ann',
    createdAt: '2024-02-20T09:00:00Z',
    updatedAt: '2024-03-10T09:00:00Z',
    comments: [
      comment(
        '2024-03-01T10:00:00Z',
        'This is awful, the printer still fails and I am furious. Nothing works.',
      ),
    ],
  },
  {
    id: 'S-2',
    summary: 'Printer toner question',
    // A sentinel inside ticket text must not break the highlight segments.
    description: `How do I order new toner for the printer${MATCH_START}? Not urgent.`,
    status: 'Closed',
    priority: 'Low',
    assignee: 'bob',
    createdAt: '2024-01-02T09:00:00Z',
    updatedAt: '2024-01-05T09:00:00Z',
    comments: [
      comment('2024-01-04T10:00:00Z', 'Thank you so much, the toner arrived quickly and works great!'),
    ],
  },
  {
    id: 'S-3',
    summary: 'VPN disconnects hourly',
    description: 'The VPN drops every hour, urgent for remote staff.',
    status: 'Open',
    priority: 'High',
    assignee: 'ann',
    createdAt: '2024-01-20T09:00:00Z',
    updatedAt: '2024-02-01T09:00:00Z',
    comments: [comment('2024-01-25T10:00:00Z', 'Restarting the router helped a bit.')],
  },
  {
    id: 'S-4',
    summary: 'Login page slow',
    description: 'Login takes a minute, somewhat urgent.',
    status: 'In Progress',
    priority: 'Medium',
    assignee: null,
    // Never updated: the date filter falls back to created_at.
    createdAt: '2024-02-10T09:00:00Z',
    updatedAt: null,
    comments: [comment('2024-02-11T10:00:00Z', 'The kerberos renewal is the bottleneck here.')],
  },
  // Lexically RF-1 says "refund" far more often; in meaning RF-2 is the billing complaint.
  {
    id: 'RF-1',
    summary: 'Refund button label typo',
    description:
      'The refund button reads "refnud". Refund label, refund tooltip and refund page title need the refund spelling fixed.',
    status: 'Open',
    priority: 'Low',
    assignee: 'cat',
    createdAt: '2024-01-10T09:00:00Z',
    updatedAt: '2024-01-11T09:00:00Z',
    comments: [],
  },
  {
    id: 'RF-2',
    summary: 'Charged twice for one order',
    description:
      'My credit card was billed two times for the same purchase and I want a refund of the duplicate payment.',
    status: 'Open',
    priority: 'High',
    assignee: 'cat',
    createdAt: '2024-01-10T09:00:00Z',
    updatedAt: '2024-01-11T09:00:00Z',
    comments: [],
  },
];
const TENANT_B = [
  {
    id: 'B-1',
    summary: 'Printer in branch office fails',
    description: 'Branch printer fails after the update.',
    status: 'Open',
    priority: 'High',
    assignee: 'dan',
    createdAt: '2024-02-01T09:00:00Z',
    updatedAt: '2024-02-02T09:00:00Z',
    comments: [],
  },
];
const BILLING_COMPLAINT = 'I was charged twice on my credit card and want my money back';

interface Tenant {
  db: Db;
  search: SearchBackend;
}

let ml: Awaited<ReturnType<typeof startMl>>;
let mlClient: MlClient;
let dbA: TestDatabase;
let dbB: TestDatabase;
let lite: Db;
let os: Client;
const backends: Record<'opensearch' | 'postgres' | 'pglite', Tenant> = {} as never;
let osB: OpenSearchSearch;
const created: OpenSearchSearch[] = [];

function openSearch(db: Db, suffix: string): OpenSearchSearch {
  const s = new OpenSearchSearch({
    url: loadTestEnv().OPENSEARCH_URL,
    indexPrefix: `${prefix}-${suffix}`,
    db,
    log,
  });
  created.push(s);
  return s;
}

/** The batch route's ingest: its tickets are searchable once it returns (no refresh by the test). */
function ingest(tenant: Tenant, tickets: unknown[]) {
  return ingestJsonBatch({ db: tenant.db, ml: mlClient, search: tenant.search }, tickets, 'test');
}

test.before(async () => {
  os = new Client({ node: loadTestEnv().OPENSEARCH_URL });
  ml = await startMl();
  mlClient = new MlClient(ml.url);
  [dbA, dbB] = await Promise.all([createTestDatabase('search_a'), createTestDatabase('search_b')]);
  lite = await createPgliteDb();
  await migrate(lite);
  backends.opensearch = { db: dbA.db, search: openSearch(dbA.db, 'a') };
  backends.postgres = { db: dbA.db, search: new PostgresSearch(dbA.db) };
  backends.pglite = { db: lite, search: new PostgresSearch(lite) };
  await backends.opensearch.search.ensure();
  // Tenant A's rows and its OpenSearch index are filled by one ingest; PGlite gets its own.
  await ingest(backends.opensearch, TENANT_A);
  await ingest(backends.pglite, TENANT_A);
  osB = openSearch(dbB.db, 'b');
  await ingest({ db: dbB.db, search: osB }, TENANT_B);
});

test.after.always(async () => {
  const names = created.map((s) => s.indexName);
  await Promise.all(created.map((s) => s.close()));
  const existing = [];
  for (const index of names) if ((await os?.indices.exists({ index }))?.body) existing.push(index);
  if (existing.length) await os.indices.delete({ index: existing.join(',') });
  await os?.close();
  await lite?.close();
  await dbA?.drop();
  await dbB?.drop();
  await ml?.server.close();
});

const query = (q: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  q,
  limit: 20,
  offset: 0,
  ...extra,
});
const ids = (r: SearchResult) => r.hits.map((h) => h.id).sort();
const embed = async (text: string) => (await mlClient.embeddings([text]))[0]!;

type Backend = keyof typeof backends;
const each = (title: string, fn: (t: ExecutionContext, b: Tenant, name: Backend) => Promise<void>) => {
  for (const name of ['opensearch', 'postgres', 'pglite'] as const)
    test(`${name}: ${title}`, (t) => fn(t, backends[name], name));
};

each('matches summary, description and comments with highlight segments', async (t, { search }, name) => {
  const r = await search.search(query('printer'));
  t.is(r.backend, name === 'opensearch' ? 'opensearch' : 'postgres');
  t.is(r.total, 2);
  t.deepEqual(ids(r), ['S-1', 'S-2']);
  const s1 = r.hits.find((h) => h.id === 'S-1')!;
  t.like(s1, {
    summary: 'Printer fails every morning',
    status: 'Open',
    priority: 'High',
    assignee: 'ann',
    updatedAt: '2024-03-10T09:00:00.000Z',
    sentimentLabel: 'negative',
  });
  const summary = s1.highlights.find((h) => h.field === 'summary')!;
  t.deepEqual(summary.fragments, [
    [
      { text: 'Printer', match: true },
      { text: ' fails every morning', match: false },
    ],
  ]);
  t.deepEqual(
    s1.highlights.map((h) => h.field),
    ['summary', 'description', 'comments'],
  );
  for (const hit of r.hits) {
    for (const { fragments } of hit.highlights) {
      for (const fragment of fragments) {
        // Every fragment shows a match, and only the query word is marked (S-2's own sentinel is not).
        t.true(
          fragment.some((s) => s.match),
          JSON.stringify(fragment),
        );
        for (const s of fragment) {
          if (s.match) t.is(s.text.toLowerCase(), 'printer');
          t.true(s.text === stripSentinels(s.text) && !s.text.includes('<em>'), JSON.stringify(fragment));
        }
      }
    }
  }
  const kerberos = await search.search(query('kerberos'));
  t.deepEqual(ids(kerberos), ['S-4']);
  t.deepEqual(
    kerberos.hits[0]!.highlights.map((h) => h.field),
    ['comments'],
  );
});

each('filters by label, status, priority, assignee and date', async (t, { search }) => {
  t.deepEqual(ids(await search.search(query('printer', { status: 'Open' }))), ['S-1']);
  t.deepEqual(ids(await search.search(query('printer', { priority: 'Low' }))), ['S-2']);
  t.deepEqual(ids(await search.search(query('urgent', { assignee: 'ann' }))), ['S-1', 'S-3']);
  t.deepEqual(ids(await search.search(query('printer', { label: 'positive' }))), ['S-2']);
  t.deepEqual(ids(await search.search(query('printer', { label: 'negative' }))), ['S-1']);
  t.deepEqual(ids(await search.search(query('printer', { from: '2024-03-01T00:00:00.000Z' }))), ['S-1']);
  t.deepEqual(ids(await search.search(query('urgent', { to: '2024-02-01T09:00:00.000Z' }))), ['S-2']);
  // S-4 has no updated_at: its created_at (Feb 10) is what the range bounds.
  t.deepEqual(
    ids(
      await search.search(
        query('urgent', { from: '2024-02-09T00:00:00.000Z', to: '2024-02-11T00:00:00.000Z' }),
      ),
    ),
    ['S-4'],
  );
  const none = await search.search(query('printer', { status: 'Open', priority: 'Low' }));
  t.deepEqual([none.total, none.hits], [0, []]);
});

each('paginates with a stable total, with and without re-rank', async (t, { search }) => {
  for (const embedding of [undefined, await embed('urgent problem')]) {
    const first = await search.search(query('urgent', { limit: 3 }), embedding);
    const second = await search.search(query('urgent', { limit: 3, offset: 3 }), embedding);
    const past = await search.search(query('urgent', { limit: 3, offset: 9 }), embedding);
    t.deepEqual([first.total, second.total, past.total], [4, 4, 4]);
    t.is(first.hits.length, 3);
    t.is(second.hits.length, 1);
    t.deepEqual(past.hits, []);
    t.deepEqual([...first.hits, ...second.hits].map((h) => h.id).sort(), ['S-1', 'S-2', 'S-3', 'S-4']);
    const scores = [...first.hits, ...second.hits].map((h) => h.score);
    t.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
  }
});

each('the query embedding re-ranks lexical candidates by meaning', async (t, { search }) => {
  const lexical = await search.search(query('refund'));
  t.deepEqual(
    lexical.hits.map((h) => h.id),
    ['RF-1', 'RF-2'],
  );
  const reranked = await search.search(query('refund'), await embed(BILLING_COMPLAINT));
  t.deepEqual(
    reranked.hits.map((h) => h.id),
    ['RF-2', 'RF-1'],
  );
  t.is(reranked.total, 2);
  // Only the order changes: a re-rank never adds a ticket without the words.
  t.deepEqual(ids(await search.search(query('printer'), await embed(BILLING_COMPLAINT))), ['S-1', 'S-2']);
});

each('query syntax and SQL in q are plain text', async (t, { search, db }) => {
  for (const q of ["'; DROP TABLE tickets; --", '*:*', '{"match_all":{}}', '*']) {
    const r = await search.search(query(q));
    t.is(r.total, 0, q);
    t.deepEqual(r.hits, [], q);
  }
  const [count] = (await db.query<{ n: string }>('SELECT count(*) AS n FROM tickets')).rows;
  t.is(Number(count!.n), TENANT_A.length);
});

test('tenant isolation: one tenant never sees the other tenant’s tickets', async (t) => {
  t.deepEqual(ids(await osB.search(query('printer'))), ['B-1']);
  t.deepEqual(ids(await backends.opensearch.search.search(query('branch'))), []);
  t.deepEqual(ids(await new PostgresSearch(dbB.db).search(query('printer'))), ['B-1']);
  t.not(osB.indexName, (backends.opensearch.search as OpenSearchSearch).indexName);
});

test('opensearch: the mapping holds vectors exactly when the cluster has k-NN; ensure is idempotent', async (t) => {
  const backend = backends.opensearch.search as OpenSearchSearch;
  const plugins = (await os.cat.plugins({ format: 'json' })).body as { component: string }[];
  const knn = plugins.some((p) => p.component === 'opensearch-knn');
  const mapping = (await os.indices.getMapping({ index: backend.indexName })).body as Record<
    string,
    { mappings: { properties: Record<string, { type: string }> } }
  >;
  const props = mapping[backend.indexName]!.mappings.properties;
  t.is(props.embedding?.type, knn ? 'knn_vector' : undefined);
  t.is(props.status!.type, 'keyword');
  t.is(props.sentimentScore!.type, 'float');
  // A second replica on the same index finds it and searches it.
  const again = openSearch(dbA.db, 'a');
  await again.ensure();
  await again.ensure();
  t.deepEqual(ids(await again.search(query('printer'))), ['S-1', 'S-2']);
  t.true(await again.ready());
});

test('opensearch: per-document bulk failures throw', async (t) => {
  const blocked = openSearch(dbA.db, 'blocked');
  await blocked.ensure();
  await os.indices.putSettings({ index: blocked.indexName, body: { index: { blocks: { write: true } } } });
  const err = await t.throwsAsync(ingest({ db: dbA.db, search: blocked }, TENANT_B));
  t.regex(err!.message, /OpenSearch refused 1 of 1 tickets \(first: B-1: cluster_block_exception/);
  await os.indices.putSettings({ index: blocked.indexName, body: { index: { blocks: { write: false } } } });
});

test('postgres: the rows are the index, so index() counts what the upsert makes searchable', async (t) => {
  const tdb = await createTestDatabase('search_c');
  t.teardown(() => tdb.drop());
  const job = await ingest({ db: tdb.db, search: new PostgresSearch(tdb.db) }, TENANT_B);
  t.like(job, { rowsScored: 1, rowsIndexed: 1 });
  t.deepEqual(ids(await new PostgresSearch(tdb.db).search(query('branch'))), ['B-1']);
});

type Page = { total: number; backend: string; items: { id: string; score: number; highlights: unknown[] }[] };

async function serve(t: ExecutionContext, ml: MlClient) {
  const api: ApiServer = await createApiServer(testConfig(), {
    db: dbA.db,
    search: backends.opensearch.search,
    ml,
    log,
  });
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const viewer = await api.deps.tokens.issue('v', 'viewer');
  const get = (path: string, token?: string) =>
    fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { get, viewer };
}

test('GET /v1/search: viewer+, validated, re-ranked by the query embedding, timed by backend', async (t) => {
  const { get, viewer } = await serve(t, mlClient);
  t.is((await get('/v1/search?q=refund')).status, 401);
  const res = await get(`/v1/search?q=${encodeURIComponent('refund')}&limit=5`, viewer);
  t.is(res.status, 200);
  const body = (await res.json()) as Page;
  // What the route's schema (so the document and the dashboard) says, and nothing beyond it.
  t.deepEqual(searchResponse.parse(body), body);
  t.is(body.backend, 'opensearch');
  t.is(body.total, 2);
  t.true(body.items.every((i) => i.highlights.length > 0));
  const reranked = await backends.opensearch.search.search(
    query('refund', { limit: 5 }),
    await embed('refund'),
  );
  t.deepEqual(
    body.items.map((i) => [i.id, i.score]),
    reranked.hits.map((h) => [h.id, h.score]),
  );
  const date = await get('/v1/search?q=urgent&from=2024-02-10&to=2024-02-10', viewer);
  t.deepEqual(
    ((await date.json()) as { items: { id: string }[] }).items.map((i) => i.id),
    ['S-4'],
  );
  for (const bad of [
    '',
    'q=',
    `q=${'x'.repeat(501)}`,
    'q=a&limit=0',
    'q=a&limit=101',
    'q=a&label=angry',
    'q=a&from=yesterday',
    'q=a&from=2024-02-02&to=2024-02-01',
    'q=a&offset=-1',
  ]) {
    const r = await get(`/v1/search?${bad}`, viewer);
    t.is(r.status, 400, bad);
    t.truthy(((await r.json()) as { error: string }).error, bad);
  }
  const injected = await get(`/v1/search?q=${encodeURIComponent("'; DROP TABLE tickets; --")}`, viewer);
  t.is(injected.status, 200);
  t.is(((await injected.json()) as { total: number }).total, 0);
  const metrics = await (await get('/metrics')).text();
  t.regex(metrics, /sentiment_api_search_duration_seconds_count\{backend="opensearch"\} [1-9]/);
});

test('GET /v1/search: without the ML service the lexical order stands', async (t) => {
  const { get, viewer } = await serve(t, new MlClient('http://127.0.0.1:9'));
  const res = await get('/v1/search?q=refund', viewer);
  t.is(res.status, 200);
  const lexical = await backends.opensearch.search.search(query('refund'));
  t.deepEqual(
    ((await res.json()) as Page).items.map((i) => [i.id, i.score]),
    lexical.hits.map((h) => [h.id, h.score]),
  );
});

test('highlight segments and re-rank arithmetic', (t) => {
  t.deepEqual(toSegments('\uE000a\uE001 b \uE000c\uE001'), [
    { text: 'a', match: true },
    { text: ' b ', match: false },
    { text: 'c', match: true },
  ]);
  t.deepEqual(matchedFragments(['no match here', 'x \uE000y\uE001']), [
    [
      { text: 'x ', match: false },
      { text: 'y', match: true },
    ],
  ]);
  t.is(stripSentinels('a\uE000b\uE001c\uE002'), 'abc');
  t.is(cosine([1, 0], [1, 0]), 1);
  t.is(cosine([1, 0], [0, 1]), 0);
  t.is(cosine([1, 0], []), 0);
  t.deepEqual(lexicalRange(20, 20, false), { from: 20, size: 20 });
  t.deepEqual(lexicalRange(20, 20, true), { from: 0, size: RERANK_WINDOW });
  t.deepEqual(lexicalRange(RERANK_WINDOW - 10, 20, true), { from: 0, size: RERANK_WINDOW + 10 });
  t.deepEqual(lexicalRange(RERANK_WINDOW, 20, true), { from: RERANK_WINDOW, size: 20 });
  const hits = Array.from({ length: RERANK_WINDOW + 2 }, (_, i) => ({
    id: `h${String(i).padStart(3, '0')}`,
    score: 100 - i,
  }));
  // The weakest hit of the window, closest in meaning, rises; hits past the window keep their order below it.
  const last = hits[RERANK_WINDOW - 1]!.id;
  const out = rerank(hits, new Map([[last, [1, 0]]]), [1, 0]);
  t.is(out[0]!.id, last);
  t.deepEqual(
    out.slice(RERANK_WINDOW).map((h) => h.id),
    hits.slice(RERANK_WINDOW).map((h) => h.id),
  );
  const scores = out.map((h) => h.score);
  t.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
  );
});
