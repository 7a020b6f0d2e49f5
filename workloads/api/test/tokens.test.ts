import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { AuthError, TokenService, allows } from '../src/auth/tokens.js';

const secret = 's'.repeat(40);

test('HS256 tokens round-trip; another tenant, another secret, tampering and expiry are refused', async (t) => {
  const a = new TokenService({ tenant: 'tenant-a', secret });
  const b = new TokenService({ tenant: 'tenant-b', secret });
  const token = await a.issue('u1', 'analyst');
  t.deepEqual(await a.verify(token), { subject: 'u1', role: 'analyst', tenant: 'tenant-a' });
  await t.throwsAsync(b.verify(token), { instanceOf: AuthError, message: /another tenant/ });
  await t.throwsAsync(new TokenService({ tenant: 'tenant-a', secret: 'x'.repeat(40) }).verify(token), {
    instanceOf: AuthError,
  });
  const [h, p, s] = token.split('.') as [string, string, string];
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' }),
  ).toString('base64url');
  await t.throwsAsync(a.verify(`${h}.${forged}.${s}`), { instanceOf: AuthError });
  await t.throwsAsync(a.verify(await a.issue('u1', 'viewer', -10)), { instanceOf: AuthError });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
  await t.throwsAsync(a.verify(none), { instanceOf: AuthError });
});

test('OIDC tokens verified against a JWKS, issuer and tenant checked', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const svc = new TokenService({ tenant: 'acme', jwksUrl, issuer: 'https://idp.example' });
  const mint = (claims: object, iss = 'https://idp.example') =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('sso-user')
      .setIssuer(iss)
      .setExpirationTime('5m')
      .sign(privateKey);
  t.is((await svc.verify(await mint({ role: 'viewer', tenant: 'acme' }))).role, 'viewer');
  await t.throwsAsync(svc.verify(await mint({ role: 'viewer', tenant: 'other' })), {
    message: /another tenant/,
  });
  await t.throwsAsync(svc.verify(await mint({ role: 'viewer', tenant: 'acme' }, 'https://evil')), {
    instanceOf: AuthError,
  });
  await t.throwsAsync(svc.verify(await mint({ role: 'root', tenant: 'acme' })), { message: /role/ });
});

test('role order', (t) => {
  t.true(allows('admin', 'analyst'));
  t.true(allows('analyst', 'viewer'));
  t.false(allows('viewer', 'analyst'));
  t.false(allows('analyst', 'admin'));
});
