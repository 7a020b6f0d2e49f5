import test from 'ava';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import { loadTestEnv } from '../src/index.js';

const env = loadTestEnv();
const suffix = `${process.pid}_${Date.now().toString(36)}`;

test('PostgreSQL answers a query and keeps a row', async (t) => {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>('select version()');
    t.regex(rows[0]!.version, /^PostgreSQL \d+/);
    const table = `smoke_${suffix}`;
    await client.query(`create temp table ${table} (id int primary key, note text)`);
    await client.query(`insert into ${table} values ($1, $2)`, [1, 'real']);
    const read = await client.query<{ note: string }>(`select note from ${table} where id = $1`, [1]);
    t.is(read.rows[0]!.note, 'real');
  } finally {
    await client.end();
  }
});

test('PostgreSQL rejects a wrong password (auth is real)', async (t) => {
  const url = new URL(env.DATABASE_URL);
  url.password = 'not-the-password';
  const client = new pg.Client({ connectionString: url.toString() });
  await t.throwsAsync(client.connect(), { message: /password authentication failed/ });
});

test('PostgreSQL serves TLS only, as RDS with rds.force_ssl, with a certificate that verifies for its address', async (t) => {
  const plain = new URL(env.DATABASE_URL);
  plain.searchParams.set('sslmode', 'disable');
  const client = new pg.Client({ connectionString: plain.toString() });
  await t.throwsAsync(client.connect(), { message: /no pg_hba\.conf entry .*no encryption/ });
  t.is(new URL(env.DATABASE_URL).searchParams.get('sslmode'), 'verify-full');
  const tls = new pg.Client({ connectionString: env.DATABASE_URL });
  await tls.connect();
  try {
    const { rows } = await tls.query<{ ssl: boolean }>(
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    t.deepEqual(rows, [{ ssl: true }]);
  } finally {
    await tls.end();
  }
});

test('Redis SET then GET', async (t) => {
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    const key = `smoke:${suffix}`;
    t.is(await redis.set(key, 'value', 'EX', 60), 'OK');
    t.is(await redis.get(key), 'value');
    await redis.del(key);
  } finally {
    redis.disconnect();
  }
});

test('Redis serves TLS only, as ElastiCache with in-transit encryption required, with a verified certificate', async (t) => {
  t.true(env.REDIS_URL.startsWith('rediss://'));
  // The same address spoken to in plaintext: the TLS port answers no Redis protocol.
  const plain = new Redis(env.REDIS_URL.replace(/^rediss:/, 'redis:'), {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  plain.on('error', () => undefined);
  await t.throwsAsync(plain.connect().then(() => plain.ping()));
  plain.disconnect();
  // Over TLS without the token, nothing is served, and a wrong token is refused: the AUTH token is real.
  const anonymous = new URL(env.REDIS_URL);
  anonymous.password = '';
  const refused = new Redis(anonymous.toString(), {
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await refused.connect();
  try {
    await t.throwsAsync(refused.ping(), { message: /^NOAUTH/ });
    await t.throwsAsync(refused.call('AUTH', 'not-the-token'), { message: /^WRONGPASS/ });
  } finally {
    refused.disconnect();
  }
});

test('OpenSearch indexes a document and finds it by full-text search', async (t) => {
  const client = new OpenSearch({ node: env.OPENSEARCH_URL });
  const index = `smoke-${suffix}`;
  try {
    await client.index({
      index,
      id: 'T-1',
      body: { summary: 'Customer furious about repeated login failures' },
      refresh: true,
    });
    const res = await client.search({ index, body: { query: { match: { summary: 'login failure' } } } });
    const hits = res.body.hits.hits;
    t.is(hits.length, 1);
    t.is(hits[0]!._id, 'T-1');
    const info = await client.info();
    t.regex(String(info.body.version.number), /^2\./);
  } finally {
    await client.indices.delete({ index }).catch(() => undefined);
  }
});
