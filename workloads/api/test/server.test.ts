import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import { loadTestEnv } from '@sentiment/testenv';
import { createApiServer, type ApiServer } from '../src/server.js';
import { loadConfig } from '../src/config.js';
import { TokenService } from '../src/auth/tokens.js';
import { createTestDatabase, startMl, type TestDatabase } from './helpers.js';

let tdb: TestDatabase;
let api: ApiServer;
let base: string;
let ml: Awaited<ReturnType<typeof startMl>>;
const prefix = `apitest-${randomBytes(4).toString('hex')}:`;
const indexPrefix = `apitest-${randomBytes(4).toString('hex')}`;

test.before(async () => {
  const env = loadTestEnv();
  ml = await startMl();
  tdb = await createTestDatabase('server');
  const config = loadConfig({
    SENTIMENT_PLATFORM: 'tenant-a',
    SENTIMENT_NAMESPACE: 'ns-a',
    SENTIMENT_PLATFORM_UID: 'uid-a',
    DATABASE_URL: tdb.url,
    REDIS_URL: env.REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    OPENSEARCH_URL: env.OPENSEARCH_URL,
    OPENSEARCH_INDEX_PREFIX: indexPrefix,
    ML_URL: ml.url,
    JWT_SECRET: 'k'.repeat(40),
    BOOTSTRAP_ADMIN_EMAIL: 'admin@a.example',
    BOOTSTRAP_ADMIN_PASSWORD: 'correct horse battery',
  });
  api = await createApiServer(config, { db: tdb.db });
  base = await api.listen(0);
  await tdb.db.query(
    `INSERT INTO tickets (id, summary, status, sentiment_score, sentiment_label) VALUES ('A-1', 'tenant a', 'Open', -0.5, 'negative')`,
  );
});
test.after.always(async () => {
  await api?.close();
  await new OpenSearch({ node: loadTestEnv().OPENSEARCH_URL }).indices
    .delete({ index: `${indexPrefix}*` })
    .catch(() => undefined);
  await tdb?.drop();
  await ml?.server.close();
});

const get = (path: string, token?: string) =>
  fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test.serial('bootstrap admin logs in; wrong password 401; login rate-limited', async (t) => {
  const login = (password: string) =>
    fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@a.example', password }),
    });
  const ok = await login('correct horse battery');
  t.is(ok.status, 200);
  t.is(((await ok.json()) as { role: string }).role, 'admin');
  t.is((await login('nope')).status, 401);
  let last = 0;
  for (let i = 0; i < 10; i++) last = (await login('nope')).status;
  t.is(last, 429);
});

test.serial('routes need a token of this tenant; query-param injection is inert', async (t) => {
  t.is((await get('/v1/tickets')).status, 401);
  // Same secret, other tenant: the tenant claim alone must keep it out.
  const other = await new TokenService({
    tenant: 'ns-b/tenant-b',
    tenantUid: 'uid-b',
    secret: 'k'.repeat(40),
  }).issue('x', 'admin');
  t.is((await get('/v1/tickets', other)).status, 401);
  const viewer = await api.deps.tokens.issue('v', 'viewer');
  const list = (await (await get('/v1/tickets', viewer)).json()) as {
    total: number;
    items: { id: string }[];
  };
  t.deepEqual(
    list.items.map((i) => i.id),
    ['A-1'],
  );
  const inj = await get(`/v1/tickets?status=${encodeURIComponent("Open' OR '1'='1")}`, viewer);
  t.is(((await inj.json()) as { total: number }).total, 0);
  t.is((await get(`/v1/tickets?sort=${encodeURIComponent('id; DROP TABLE tickets')}`, viewer)).status, 400);
  t.is((await get(`/v1/tickets/${encodeURIComponent("A-1' OR 1=1--")}`, viewer)).status, 404);
  t.is((await get('/v1/tickets/A-1', viewer)).status, 200);
  const ingest = (token: string) =>
    fetch(`${base}/v1/ingest/json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        tickets: [
          {
            id: 'J-1',
            summary: 'json',
            comments: [{ at: '2024-01-01T00:00:00Z', author: 'a', text: 'I love it' }],
          },
          { id: 'bad id!' },
        ],
      }),
    });
  t.is((await ingest(viewer)).status, 403);
  const job = (await (await ingest(await api.deps.tokens.issue('an', 'analyst'))).json()) as {
    state: string;
    rowsScored: number;
    errorCount: number;
  };
  t.like(job, { state: 'completed', rowsScored: 1, errorCount: 1 });
  t.is((await get('/healthz')).status, 200);
  t.is((await get('/readyz')).status, 200);
});
