// Login with a local account (the first admin comes from the bootstrap Secret; no default
// passwords). OIDC deployments skip this and present their IdP's tokens.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { findUser } from '../store/users.js';

const loginBody = z.object({ email: z.string().email().max(320), password: z.string().min(1).max(1024) });

export async function authRoutes(deps: AppDeps): Promise<Router> {
  const decoyHash = await hashPassword(randomUUID());
  const r = new Router({ prefix: '/v1' });
  r.post('/auth/login', async (ctx) => {
    const body = parseOr400(loginBody, ctx.request.body);
    const email = body.email.toLowerCase();
    if (!(await deps.limiter.allow([`email:${email}`, `ip:${ctx.ip}`])))
      fail(429, 'too many login attempts; try later');
    const user = await findUser(deps.db, email);
    // Unknown emails cost the same scrypt work as known ones, so timing does not reveal accounts.
    const valid = await verifyPassword(body.password, user?.password_hash ?? decoyHash);
    if (!user || !valid) fail(401, 'wrong email or password');
    ctx.body = { token: await deps.tokens.issue(user.email, user.role), role: user.role };
  });
  r.get('/me', requireRole('viewer'), (ctx) => {
    const p = principalOf(ctx);
    ctx.body = { subject: p.subject, role: p.role, platform: deps.config.SENTIMENT_PLATFORM };
  });
  return r;
}
