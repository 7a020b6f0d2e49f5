// CORS as a browser meets it: the real server in local mode (PGlite in memory), one listed dashboard
// origin, and requests from it and from an origin that is not listed.
import test from 'ava';
import { loadConfig, ConfigError } from '../src/config.js';
import { createApiServer, type ApiServer } from '../src/server.js';
import { testConfig } from './helpers.js';

const DASHBOARD = 'http://127.0.0.1:5173';
const OTHER = 'https://evil.example';
const ADMIN = { email: 'admin@cors.example', password: 'cors test password' };

let api: ApiServer;
let base: string;

test.before(async () => {
  api = await createApiServer(
    testConfig({
      CORS_ORIGINS: `https://d123.cloudfront.net, ${DASHBOARD}`,
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    }),
  );
  base = await api.listen(0);
});
test.after.always(async () => {
  await api?.close();
});

const preflight = (origin: string, path = '/v1/auth/login') =>
  fetch(base + path, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));

test('preflight from a listed origin: 204 with methods, headers, max-age and no credentials', async (t) => {
  const res = await preflight(DASHBOARD);
  t.is(res.status, 204);
  t.is(res.headers.get('access-control-allow-origin'), DASHBOARD);
  t.is(res.headers.get('access-control-allow-methods'), 'GET, POST');
  t.is(res.headers.get('access-control-allow-headers'), 'authorization, content-type');
  t.true(Number(res.headers.get('access-control-max-age')) > 0);
  t.is(res.headers.get('access-control-allow-credentials'), null);
  t.regex(res.headers.get('vary') ?? '', /Origin/);
});

test('preflight from any other origin is refused without CORS headers', async (t) => {
  for (const origin of [OTHER, 'http://127.0.0.1:5174', 'null']) {
    const res = await preflight(origin);
    t.is(res.status, 403, origin);
    t.deepEqual(corsHeaders(res), [], origin);
  }
});

test('requests from a listed origin carry its origin, also on errors; Content-Disposition is exposed', async (t) => {
  const login = (password: string) =>
    fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { origin: DASHBOARD, 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password }),
    });
  const refused = await login('not the password');
  t.is(refused.status, 401);
  t.is(refused.headers.get('access-control-allow-origin'), DASHBOARD, 'the page can read why');
  const ok = await login(ADMIN.password);
  t.is(ok.status, 200);
  const { token } = (await ok.json()) as { token: string };

  const me = await fetch(`${base}/v1/me`, {
    headers: { origin: DASHBOARD, authorization: `Bearer ${token}` },
  });
  t.is(me.status, 200);
  t.is(me.headers.get('access-control-allow-origin'), DASHBOARD);
  t.is(me.headers.get('access-control-expose-headers'), 'Content-Disposition');
  t.is(me.headers.get('access-control-allow-credentials'), null);
  t.regex(me.headers.get('vary') ?? '', /Origin/);
  t.like(await me.json(), { subject: ADMIN.email, role: 'admin' });
});

test('requests from other origins or without Origin get no CORS headers', async (t) => {
  const token = await api.deps.tokens.issue('viewer@cors.example', 'viewer');
  for (const headers of [{ origin: OTHER }, {}] as Record<string, string>[]) {
    const res = await fetch(`${base}/v1/me`, { headers: { ...headers, authorization: `Bearer ${token}` } });
    // The server still answers; it is the browser that withholds the answer from the other origin's page.
    t.is(res.status, 200);
    t.deepEqual(corsHeaders(res), []);
  }
});

test('without CORS_ORIGINS no origin is allowed', async (t) => {
  const plain = await createApiServer(testConfig());
  const url = await plain.listen(0);
  try {
    const res = await fetch(`${url}/healthz`, { headers: { origin: DASHBOARD } });
    t.is(res.status, 200);
    t.deepEqual(corsHeaders(res), []);
  } finally {
    await plain.close();
  }
});

test('CORS_ORIGINS accepts only exact origins', (t) => {
  const env = {
    SENTIMENT_PLATFORM: 'test',
    LOCAL_MODE: 'true',
    JWT_SECRET: 'k'.repeat(40),
    ML_URL: 'http://127.0.0.1:9',
  };
  t.deepEqual(
    loadConfig({ ...env, CORS_ORIGINS: ' https://a.example ,http://127.0.0.1:8080' }).CORS_ORIGINS,
    ['https://a.example', 'http://127.0.0.1:8080'],
  );
  t.deepEqual(loadConfig(env).CORS_ORIGINS, []);
  for (const bad of ['https://a.example/', 'https://a.example/app', 'a.example', '*']) {
    const err = t.throws(() => loadConfig({ ...env, CORS_ORIGINS: bad }), { instanceOf: ConfigError });
    t.regex(err!.message, /CORS_ORIGINS\.0: exact origins/, bad);
  }
});
