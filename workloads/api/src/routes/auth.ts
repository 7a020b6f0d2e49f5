// Login with a local account (the first admin comes from the bootstrap Secret; no default
// passwords). OIDC deployments skip this and present their IdP's tokens.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { HashBusyError, hashPassword, needsRehash, verifyPassword } from '../auth/password.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { findUser, replacePasswordHash } from '../store/users.js';
import { roleSchema } from './wire.js';

export const loginBody = z.object({
  email: z.string().email().max(320),
  password: z.string().min(1).max(1024),
});
export const loginResponse = z.object({ token: z.string(), role: roleSchema }).meta({ id: 'Login' });
export const meResponse = z
  .object({ subject: z.string(), role: roleSchema, platform: z.string() })
  .meta({ id: 'Me' });

export async function authRoutes(deps: AppDeps): Promise<Router> {
  const decoyHash = await hashPassword(randomUUID());
  const r = new Router({ prefix: '/v1' });
  r.post('/auth/login', async (ctx) => {
    const body = parseOr400(loginBody, ctx.request.body);
    const email = body.email.toLowerCase();
    // Throttling and its reasons: auth/login-limit.ts.
    if (!(await deps.limiter.admit(email, ctx.ip))) fail(429, 'too many login attempts; try later');
    const user = await findUser(deps.db, email);
    let valid: boolean;
    try {
      // Unknown emails cost the same scrypt work as known ones, so timing does not reveal accounts.
      valid = await verifyPassword(body.password, user?.password_hash ?? decoyHash);
    } catch (err) {
      if (!(err instanceof HashBusyError)) throw err;
      ctx.set('Retry-After', '1');
      ctx.status = 503;
      ctx.body = { error: err.message };
      return;
    }
    if (!user || !valid) {
      await deps.limiter.failed(email, ctx.ip);
      fail(401, 'wrong email or password');
    }
    if (needsRehash(user.password_hash)) {
      // The password is at hand only now: store it at today's cost. Best effort, the login stands.
      await hashPassword(body.password)
        .then((hash) => replacePasswordHash(deps.db, user.id, user.password_hash, hash))
        .catch((err: unknown) => deps.log.warn({ err }, 'password rehash skipped'));
    }
    ctx.body = {
      token: await deps.tokens.issue(user.email, user.role),
      role: user.role,
    } satisfies z.infer<typeof loginResponse>;
  });
  r.get('/me', requireRole('viewer'), (ctx) => {
    const p = principalOf(ctx);
    ctx.body = {
      subject: p.subject,
      role: p.role,
      platform: deps.config.SENTIMENT_PLATFORM,
    } satisfies z.infer<typeof meResponse>;
  });
  return r;
}
