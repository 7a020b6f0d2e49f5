// CORS for the dashboard when another origin serves it: in AWS one CloudFront distribution serves the SPA
// for every tenant while each tenant's API has its own host. Exact origins only; callers authenticate with
// a bearer header, never cookies, so credentials are never allowed.
import type { Middleware } from 'koa';

const ALLOW_METHODS = 'GET, POST';
const ALLOW_HEADERS = 'authorization, content-type';
/** Report downloads name their file in Content-Disposition, which scripts cannot read unless exposed. */
const EXPOSE_HEADERS = 'Content-Disposition';
/** Seconds a browser may cache a preflight answer. */
const MAX_AGE = '600';

export function cors(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  return async (ctx, next) => {
    // The answer depends on Origin, so shared caches must key on it even when the origin is refused.
    ctx.vary('Origin');
    const origin = ctx.get('origin');
    const ok = origin !== '' && allowed.has(origin);
    if (ctx.method === 'OPTIONS' && origin !== '' && ctx.get('access-control-request-method') !== '') {
      if (!ok) {
        ctx.status = 403;
        return;
      }
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      ctx.set('Access-Control-Max-Age', MAX_AGE);
      ctx.status = 204;
      return;
    }
    // Set before the handlers run so error answers (401, 4xx) stay readable by the page too.
    if (ok) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    await next();
  };
}
