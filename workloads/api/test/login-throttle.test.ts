// Login throttling against a real API server, its budgets in the real Redis: the client address behind
// the load balancer, per-account lockout that a guesser cannot turn against the owner, the bound on
// concurrent password hashing, and old password hashes upgraded at login.
// Serial: the hashing bound is per process, so one test's burst must not meet another's logins.
import test, { type ExecutionContext } from 'ava';
import { randomBytes, scryptSync } from 'node:crypto';
import { loadTestEnv } from '@sentiment/testenv';
import { HASH_QUEUE } from '../src/auth/password.js';
import { createApiServer } from '../src/server.js';
import { createTestDatabase, deleteRedisKeys, testConfig, type TestDatabase } from './helpers.js';

const ADMIN = { email: 'admin@tenant.example', password: 'correct horse battery' };

let tdb: TestDatabase;
const prefixes: string[] = [];
test.before(async () => {
  tdb = await createTestDatabase('login');
});
test.after.always(async () => {
  // Only the keys under this file's own random prefixes.
  await deleteRedisKeys(prefixes);
  await tdb?.drop();
});

/** A real API server with its own Redis budgets, behind `hops` proxies. */
async function server(t: ExecutionContext, hops: number) {
  const prefix = `logintest-${randomBytes(4).toString('hex')}:`;
  prefixes.push(prefix);
  const api = await createApiServer(
    testConfig({
      DATABASE_URL: tdb.url,
      REDIS_URL: loadTestEnv().REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUSTED_PROXY_HOPS: String(hops),
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      // The burst below queues for the hashing slots; on a busy test machine that may outlast the usual
      // deadline, whose 503 is another matter than the one tested.
      REQUEST_TIMEOUT_MS: '300000',
    }),
  );
  t.teardown(() => api.close());
  const base = await api.listen(0);
  t.true(api.deps.redis !== null, 'budgets kept in Redis');
  return {
    /** A login whose X-Forwarded-For is `header` exactly as it reaches the API. */
    async send(email: string, password: string, header: string) {
      return fetch(`${base}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': header },
        body: JSON.stringify({ email, password }),
      });
    },
    /**
     * A login from `client` through one load balancer: whatever the client wrote in X-Forwarded-For (a
     * fresh made-up address each time), then the address the load balancer appends.
     */
    async from(client: string, email: string, password: string) {
      return (await this.send(email, password, `${randomAddress()}, ${client}`)).status;
    },
  };
}

const randomAddress = () => [...randomBytes(4)].join('.');
const unknownEmail = () => `nobody-${randomBytes(4).toString('hex')}@tenant.example`;

test.serial(
  'behind the load balancer, a client rotating X-Forwarded-For is still one address and is throttled',
  async (t) => {
    const api = await server(t, 1);
    const statuses: number[] = [];
    // Other accounts each time, so only the address budget (10 attempts) can stop it.
    for (let i = 0; i < 12; i++) statuses.push(await api.from('203.0.113.7', unknownEmail(), 'guess'));
    t.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
    t.is(await api.from('203.0.113.8', unknownEmail(), 'guess'), 401, 'another client has its own budget');
  },
);

test.serial('with no proxy in front (TRUSTED_PROXY_HOPS=0), X-Forwarded-For is ignored', async (t) => {
  const api = await server(t, 0);
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++)
    statuses.push((await api.send(unknownEmail(), 'guess', randomAddress())).status);
  t.deepEqual(statuses, [...Array(10).fill(401), 429]);
});

test.serial(
  'a guesser cannot lock the owner out: the right password from another address logs in',
  async (t) => {
    const api = await server(t, 1);
    // Wrong passwords from three addresses: after 10 failures the account closes to those addresses.
    const statuses: number[] = [];
    for (const guesser of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
      for (let i = 0; i < 4; i++) statuses.push(await api.from(guesser, ADMIN.email, `guess-${i}`));
    t.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
    t.is(await api.from('192.0.2.10', ADMIN.email, ADMIN.password), 200);
    t.is(await api.from('192.0.2.10', ADMIN.email, ADMIN.password), 200, 'and again');
  },
);

test.serial(
  'a guesser is still throttled: per address, and on a locked account from every address that failed on it',
  async (t) => {
    const api = await server(t, 1);
    // One address: 10 attempts, then nothing is checked, not even the right password.
    for (let i = 0; i < 10; i++) t.is(await api.from('198.51.100.20', ADMIN.email, `guess-${i}`), 401);
    t.is(await api.from('198.51.100.20', ADMIN.email, ADMIN.password), 429);
    // The account is now over its budget: an address that failed on it is refused before the check...
    t.is(await api.from('198.51.100.21', ADMIN.email, 'guess-a'), 401);
    t.is(await api.from('198.51.100.21', ADMIN.email, ADMIN.password), 429);
    // ...while the budgets of other accounts are untouched.
    t.is(await api.from('198.51.100.21', unknownEmail(), 'guess'), 401);
  },
);

test.serial(
  'password checks are bounded: a burst past the queue gets 503 with Retry-After, then logins work again',
  async (t) => {
    const api = await server(t, 1);
    const burst = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api.send(unknownEmail(), 'guess', `10.1.${Math.floor(i / 250)}.${i % 250}`),
      ),
    );
    const statuses = burst.map((r) => r.status);
    t.deepEqual([...new Set(statuses)].sort(), [401, 503], 'checked, or refused for now; nothing else');
    const busy = burst.filter((r) => r.status === 503);
    t.deepEqual(
      await Promise.all(busy.map(async (r) => `${r.headers.get('retry-after')} ${await r.text()}`)),
      busy.map(() => '1 {"error":"too many password checks at once; retry shortly"}'),
    );
    t.true(statuses.filter((s) => s === 401).length >= HASH_QUEUE, 'the queue is served, not dropped');
    t.is(await api.from('192.0.2.30', ADMIN.email, ADMIN.password), 200);
  },
);

test.serial(
  'a hash of the old, lower cost still verifies and is stored again at the current cost',
  async (t) => {
    const api = await server(t, 1);
    // The format and cost every hash had before: scrypt N=2^14, r=8, p=1.
    const salt = randomBytes(16);
    const key = scryptSync('old password 1', salt, 32, { N: 16384, r: 8, p: 1 });
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    await tdb.db.query(
      `INSERT INTO users (email, password_hash, role) VALUES ('old@tenant.example', $1, 'viewer')`,
      [old],
    );
    const stored = async () =>
      (
        await tdb.db.query<{ password_hash: string }>(
          `SELECT password_hash FROM users WHERE email = 'old@tenant.example'`,
        )
      ).rows[0]!.password_hash;
    t.is(await api.from('192.0.2.40', 'old@tenant.example', 'old password 1'), 200);
    const upgraded = await stored();
    t.not(upgraded, old);
    // OWASP's N=2^15, r=8, p=3 (as strong as N=2^17, p=1, in a quarter of the memory).
    t.regex(upgraded, /^scrypt\$32768\$8\$3\$/);
    t.is(await api.from('192.0.2.40', 'old@tenant.example', 'old password 1'), 200);
    t.is(await api.from('192.0.2.40', 'old@tenant.example', 'wrong'), 401);
    t.is(await stored(), upgraded, 'a failed login changes nothing');
  },
);
