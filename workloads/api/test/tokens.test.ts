import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { AuthError, TokenService, allows } from '../src/auth/tokens.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createApiServer } from '../src/server.js';
import { createTestDatabase, testConfig, type TestDatabase } from './helpers.js';

const secret = 's'.repeat(40);
const ADMIN = { email: 'admin@analytics.example', password: 'correct horse battery' };

let tdb: TestDatabase;
test.before(async () => {
  tdb = await createTestDatabase('tokens');
});
test.after.always(async () => {
  await tdb?.drop();
});

/** A real API server of the platform `<namespace>/analytics` with `uid`, on the shared test database. */
async function platform(t: { teardown(fn: () => Promise<void>): void }, env: Record<string, string>) {
  const api = await createApiServer(
    testConfig({ DATABASE_URL: tdb.url, SENTIMENT_PLATFORM: 'analytics', ...env }),
  );
  t.teardown(() => api.close());
  const base = await api.listen(0);
  return {
    api,
    me: async (token: string) =>
      (await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    login: async () => {
      const res = await fetch(`${base}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      return ((await res.json()) as { token: string }).token;
    },
  };
}

test('HS256 tokens round-trip; another tenant, another secret, tampering and expiry are refused', async (t) => {
  const a = new TokenService({ tenant: 'ns-a/analytics', tenantUid: 'uid-a', secret });
  const b = new TokenService({ tenant: 'ns-b/analytics', tenantUid: 'uid-b', secret });
  const token = await a.issue('u1', 'analyst');
  t.deepEqual(await a.verify(token), { subject: 'u1', role: 'analyst', tenant: 'ns-a/analytics' });
  await t.throwsAsync(b.verify(token), { instanceOf: AuthError, message: /another tenant/ });
  await t.throwsAsync(
    new TokenService({ tenant: 'ns-a/analytics', tenantUid: 'uid-a', secret: 'x'.repeat(40) }).verify(token),
    { instanceOf: AuthError },
  );
  const [h, p, s] = token.split('.') as [string, string, string];
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' }),
  ).toString('base64url');
  await t.throwsAsync(a.verify(`${h}.${forged}.${s}`), { instanceOf: AuthError });
  await t.throwsAsync(a.verify(await a.issue('u1', 'viewer', -10)), { instanceOf: AuthError });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
  await t.throwsAsync(a.verify(none), { instanceOf: AuthError });
});

test('a login token works only on its own platform: not on the same name in another namespace, not on a re-created one', async (t) => {
  // One signing secret for all three, as when a secret is shared: the token's claims alone tell them apart.
  const shared = {
    JWT_SECRET: secret,
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  };
  const a = await platform(t, { ...shared, SENTIMENT_NAMESPACE: 'ns-a', SENTIMENT_PLATFORM_UID: 'uid-a' });
  const b = await platform(t, { ...shared, SENTIMENT_NAMESPACE: 'ns-b', SENTIMENT_PLATFORM_UID: 'uid-b' });
  const again = await platform(t, {
    ...shared,
    SENTIMENT_NAMESPACE: 'ns-a',
    SENTIMENT_PLATFORM_UID: 'uid-a2',
  });
  const token = await a.login();
  t.is(await a.me(token), 200);
  t.is(await b.me(token), 401, 'same platform name, other namespace');
  t.is(await again.me(token), 401, 'same namespace and name, deleted and created again');
  // A token from before the upgrade, whose tenant claim was the bare platform name: refused (users log in again).
  const old = await new SignJWT({ role: 'admin', tenant: 'analytics' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(ADMIN.email)
    .setIssuer('sentiment-api')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  t.is(await a.me(old), 401);
});

test('a cluster API refuses to start without the namespace and uid its tokens are bound to', (t) => {
  const cluster = {
    SENTIMENT_PLATFORM: 'analytics',
    DATABASE_URL: 'postgres://u@localhost/db',
    REDIS_URL: 'redis://localhost:6379',
    OPENSEARCH_URL: 'http://localhost:9200',
    ML_URL: 'http://localhost:8000',
    JWT_SECRET: secret,
  };
  const err = t.throws(() => loadConfig(cluster), { instanceOf: ConfigError });
  t.regex(err!.message, /SENTIMENT_NAMESPACE: required/);
  t.regex(err!.message, /SENTIMENT_PLATFORM_UID: required/);
  t.notThrows(() => loadConfig({ ...cluster, SENTIMENT_NAMESPACE: 'ns-a', SENTIMENT_PLATFORM_UID: 'uid-a' }));
  // The worker issues and verifies no tokens.
  t.notThrows(() => loadConfig(cluster, 'worker'));
});

/** An identity provider on a loopback port: its JWKS URL, and tokens signed with its key. */
async function identityProvider(t: { teardown(fn: () => Promise<void>): void }) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const oidc = {
    OIDC_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    OIDC_ISSUER: 'https://idp.example',
    OIDC_AUDIENCE: 'sentiment-api',
  };
  /** A viewer's token with `claims`; `aud: ''` and `exp: false` leave those claims out. */
  const mint = (claims: object, { iss = oidc.OIDC_ISSUER, aud = oidc.OIDC_AUDIENCE, exp = true } = {}) => {
    const jwt = new SignJWT({ role: 'viewer', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('sso-user')
      .setIssuer(iss);
    if (aud) jwt.setAudience(aud);
    if (exp) jwt.setExpirationTime('5m');
    return jwt.sign(privateKey);
  };
  return { oidc, mint };
}

test('a token without exp is refused, whether this API or the identity provider signed it', async (t) => {
  const { oidc, mint } = await identityProvider(t);
  const svc = new TokenService({
    tenant: 'ns-a/analytics',
    tenantUid: 'uid-a',
    secret,
    jwksUrl: oidc.OIDC_JWKS_URL,
    issuer: oidc.OIDC_ISSUER,
    audience: oidc.OIDC_AUDIENCE,
  });
  t.is((await svc.verify(await mint({ tenant: 'ns-a/analytics' }))).role, 'viewer');
  await t.throwsAsync(svc.verify(await mint({ tenant: 'ns-a/analytics' }, { exp: false })), {
    instanceOf: AuthError,
  });
  const forever = await new SignJWT({ role: 'admin', tenant: 'ns-a/analytics', tid: 'uid-a' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u1')
    .setIssuer('sentiment-api')
    .sign(new TextEncoder().encode(secret));
  await t.throwsAsync(svc.verify(forever), { instanceOf: AuthError });
});

test('OIDC from a shared identity provider: issuer and audience required, tenant is namespace/name', async (t) => {
  const { oidc, mint } = await identityProvider(t);
  // Either missing: the API does not start (and the service refuses such a config too).
  for (const missing of ['OIDC_ISSUER', 'OIDC_AUDIENCE'] as const) {
    const err = t.throws(() => testConfig({ ...oidc, [missing]: '' }), { instanceOf: ConfigError });
    t.regex(err!.message, new RegExp(`${missing}: required with OIDC_JWKS_URL`));
  }
  t.throws(
    () => new TokenService({ tenant: 'ns-a/analytics', tenantUid: 'u', jwksUrl: oidc.OIDC_JWKS_URL }),
    {
      message: /issuer and an audience/,
    },
  );

  const a = await platform(t, { ...oidc, SENTIMENT_NAMESPACE: 'ns-a', SENTIMENT_PLATFORM_UID: 'uid-a' });
  const b = await platform(t, { ...oidc, SENTIMENT_NAMESPACE: 'ns-b', SENTIMENT_PLATFORM_UID: 'uid-b' });
  const ours = await mint({ tenant: 'ns-a/analytics' });
  t.is(await a.me(ours), 200);
  t.is(await b.me(ours), 401, "the other namespace's platform of the same name");
  t.is(await a.me(await mint({ tenant: 'analytics' })), 401, 'the bare platform name names no tenant');
  t.is(await a.me(await mint({ tenant: 'ns-a/analytics' }, { exp: false })), 401, 'no exp');
  t.is(await a.me(await mint({ tenant: 'ns-a/analytics' }, { aud: 'another-app' })), 401, 'other audience');
  t.is(await a.me(await mint({ tenant: 'ns-a/analytics' }, { aud: '' })), 401, 'no audience');
  t.is(await a.me(await mint({ tenant: 'ns-a/analytics' }, { iss: 'https://evil' })), 401, 'other issuer');
  t.is(await a.me(await mint({ tenant: 'ns-a/analytics', role: 'root' })), 401, 'unknown role');
});

test('role order', (t) => {
  t.true(allows('admin', 'analyst'));
  t.true(allows('analyst', 'viewer'));
  t.false(allows('viewer', 'analyst'));
  t.false(allows('analyst', 'admin'));
});
