// Route guards. The bearer middleware in server.ts sets ctx.state.principal; every /v1 route but
// login names the least role it needs.
import type { Context, Next } from 'koa';
import { allows, type Principal, type Role } from '../auth/tokens.js';
import { fail } from './errors.js';

export type State = { principal?: Principal };

export function requireRole(role: Role) {
  return async (ctx: Context, next: Next) => {
    const principal = (ctx.state as State).principal;
    if (!principal) fail(401, 'authentication required');
    if (!allows(principal.role, role)) fail(403, `requires role ${role}`);
    await next();
  };
}

/** The caller, on a route guarded by requireRole. */
export function principalOf(ctx: Context): Principal {
  return (ctx.state as State).principal ?? fail(401, 'authentication required');
}
