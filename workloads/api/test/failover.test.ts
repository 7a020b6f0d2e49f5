// A Postgres failover as the API and worker meet it: the server drops every connection (RDS Multi-AZ
// failover, pg_terminate_backend). The process must not exit, a connection broken under a transaction
// must not be handed to the next caller, and the next request must succeed on a fresh connection.
import test from 'ava';
import { loadTestEnv, sql } from '@sentiment/testenv';
import { createApiServer } from '../src/server.js';
import { createPgDb } from '../src/store/db.js';
import { createTestDatabase, testConfig } from './helpers.js';

const env = loadTestEnv();

/** Terminates every session on `database` but the caller's, as a failover does; returns how many. */
async function terminateAll(database: string): Promise<number> {
  const rows = await sql(
    env.DATABASE_URL,
    'select pg_terminate_backend(pid) as killed from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  return rows.length;
}

test('idle connections dropped by the server: no crash, the next query gets a fresh connection', async (t) => {
  const tdb = await createTestDatabase('failover');
  t.teardown(() => tdb.drop());
  const database = new URL(tdb.url).pathname.slice(1);
  const lost: string[] = [];
  const db = createPgDb(tdb.url, { max: 4, onIdleError: (err) => lost.push(err.message) });
  t.teardown(() => db.close());
  // Four pooled connections, idle afterwards.
  await Promise.all([1, 2, 3, 4].map(() => db.query('select pg_sleep(0.05)')));
  t.true((await terminateAll(database)) >= 4);
  await new Promise((r) => setTimeout(r, 300));
  t.true(lost.length >= 1, 'the pool told us instead of throwing an uncaught error');
  t.regex(lost[0]!, /terminat/);
  t.deepEqual((await db.query<{ one: number }>('select 1 as one')).rows, [{ one: 1 }]);
});

test('a connection killed under a transaction: that call fails, the connection is not reused', async (t) => {
  const tdb = await createTestDatabase('failover_tx');
  t.teardown(() => tdb.drop());
  const database = new URL(tdb.url).pathname.slice(1);
  const db = createPgDb(tdb.url, { max: 1, onIdleError: () => undefined });
  t.teardown(() => db.close());
  const pending = db.transaction((tx) => tx.query('select pg_sleep(5)'));
  await new Promise((r) => setTimeout(r, 300));
  await terminateAll(database);
  await t.throwsAsync(pending, { message: /terminat|Connection terminated/ });
  // max 1: had the broken connection gone back to the pool, this would fail on it.
  const out = await db.transaction((tx) => tx.query<{ one: number }>('select 1 as one'));
  t.deepEqual(out.rows, [{ one: 1 }]);
});

test('the API through a failover: the request after it succeeds, the process never went down', async (t) => {
  const tdb = await createTestDatabase('failover_api');
  t.teardown(() => tdb.drop());
  const database = new URL(tdb.url).pathname.slice(1);
  // The API's own pool (not the test's): DATABASE_URL, as in a pod.
  const api = await createApiServer(
    testConfig({
      LOCAL_MODE: 'false',
      DATABASE_URL: tdb.url,
      REDIS_URL: env.REDIS_URL,
      REDIS_KEY_PREFIX: `failover-${Date.now()}:`,
      OPENSEARCH_URL: env.OPENSEARCH_URL,
      OPENSEARCH_INDEX_PREFIX: `failover-${Date.now()}`,
      BOOTSTRAP_ADMIN_EMAIL: 'admin@a.example',
      BOOTSTRAP_ADMIN_PASSWORD: 'correct horse battery',
    }),
  );
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const login = () =>
    fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@a.example', password: 'correct horse battery' }),
    });
  t.is((await login()).status, 200);
  t.true((await terminateAll(database)) >= 1);
  await new Promise((r) => setTimeout(r, 300));
  t.is((await login()).status, 200, 'served on a fresh connection');
  t.is((await fetch(`${base}/healthz`)).status, 200);
});
