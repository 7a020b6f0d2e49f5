// The HTTP API: one koa app over AppDeps. Every /v1 route but login names the least role it needs;
// the bearer middleware identifies the caller before any handler runs.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import { send } from '@koa/send';
import Koa from 'koa';
import { HEALTH_PATHS } from '@sentiment/crds';
import { Counter, Histogram } from 'prom-client';
import { createDeps } from './app/adapters.js';
import type { AppDeps } from './app/deps.js';
import { consumeJobs } from './app/worker.js';
import { AuthError } from './auth/tokens.js';
import type { ApiConfig } from './config.js';
import type { State } from './http/auth.js';
import { cors } from './http/cors.js';
import { requestDeadline } from './http/deadline.js';
import { HttpError, fail } from './http/errors.js';
import { allRoutes } from './routes/index.js';
import type { ErrorBody } from './routes/wire.js';
import { bootstrapAdmin } from './store/users.js';

/** Longer than the ALB's default idle timeout of 60 s. */
export const KEEP_ALIVE_MS = 65_000;

export interface ApiServer {
  app: Koa;
  deps: AppDeps;
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  /** Graceful stop (SIGTERM): out of rotation for `delayMs` while still serving, then close. */
  shutdown(delayMs: number): Promise<void>;
}

function serveWeb(app: Koa, root: string): void {
  app.use(async (ctx, next) => {
    await next();
    // Only what no API route answered: an unknown /v1 path stays a JSON 404.
    if (ctx.method !== 'GET' || ctx.status !== 404 || ctx.path.startsWith('/v1/')) return;
    // Hashed assets are immutable; every other path is a client-side route of the SPA.
    const asset = ctx.path.startsWith('/assets/');
    await send(ctx, asset ? ctx.path : '/index.html', {
      root,
      maxage: asset ? 31_536_000_000 : 0,
      immutable: asset,
    });
  });
}

export async function createApiServer(
  config: ApiConfig,
  overrides: Partial<AppDeps> = {},
): Promise<ApiServer> {
  const built = await createDeps(config, overrides);
  const { deps } = built;
  const { log } = deps;
  if (config.BOOTSTRAP_ADMIN_EMAIL && config.BOOTSTRAP_ADMIN_PASSWORD) {
    if (await bootstrapAdmin(deps.db, config.BOOTSTRAP_ADMIN_EMAIL, config.BOOTSTRAP_ADMIN_PASSWORD))
      log.info('bootstrap admin created');
  }
  // In local mode there is no worker pod: this process runs the jobs its uploads queue.
  if (deps.queue.name === 'in-process') await consumeJobs(deps);
  const requests = new Counter({
    name: 'sentiment_api_requests_total',
    help: 'Requests by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [deps.registry],
  });
  const latency = new Histogram({
    name: 'sentiment_api_request_duration_seconds',
    help: 'Latency by route.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry],
  });

  // ctx.ip is the address the last trusted proxy saw: entries left of it in X-Forwarded-For are the
  // client's own writing, and trusting them would let it pick a fresh address for every login attempt.
  const hops = config.TRUSTED_PROXY_HOPS;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  // Koa's default prints to stderr; an aborted upload lands here and is the client's doing.
  app.on('error', (err: Error, ctx?: { path?: string }) =>
    log.warn({ err: err.message, path: ctx?.path }, 'connection error'),
  );
  app.use(async (ctx, next) => {
    const end = latency.startTimer();
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      ctx.status = status;
      // Our own HttpErrors (and koa's 4xx) are written for users. Anything else may carry pg, OpenSearch
      // or ML internals: the user gets a stable message and an id that finds the details in the log.
      if (err instanceof HttpError || (status < 500 && (err as { expose?: boolean }).expose !== false)) {
        ctx.body = { error: (err as Error).message } satisfies ErrorBody;
      } else {
        const errorId = randomUUID();
        ctx.body = { error: 'internal error', errorId } satisfies ErrorBody;
        log.error({ err, path: ctx.path, errorId }, 'request failed');
      }
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      end({ route });
      requests.inc({ route, status: String(ctx.status) });
    }
  });
  // Responses are JSON or the SPA's own files: never sniffed as something else; HTTPS remembered once seen
  // (browsers ignore HSTS over plain HTTP); no Referer with tenant URLs in it leaves for other origins.
  app.use(async (ctx, next) => {
    ctx.set({
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'Referrer-Policy': 'no-referrer',
    });
    await next();
  });
  let draining = false;
  app.use(async (ctx, next) => {
    if (draining) {
      // Keep-alive clients reconnect, through the Service, to a pod that stays.
      ctx.set('Connection', 'close');
      if (ctx.path === HEALTH_PATHS.ready) {
        ctx.status = 503;
        ctx.body = { status: 'draining' };
        return;
      }
    }
    await next();
  });
  app.use(requestDeadline(config.REQUEST_TIMEOUT_MS));
  if (config.WEB_DIR) serveWeb(app, config.WEB_DIR);
  if (config.CORS_ORIGINS.length > 0) app.use(cors(config.CORS_ORIGINS));
  // JSON only: multipart uploads stay a stream for the ingest route.
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  app.use(async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header.startsWith('Bearer ')) {
      try {
        (ctx.state as State).principal = await deps.tokens.verify(header.slice(7));
      } catch (err) {
        if (err instanceof AuthError) fail(401, err.message);
        throw err;
      }
    }
    await next();
  });
  for (const router of await allRoutes(deps)) app.use(router.routes()).use(router.allowedMethods());

  let server: Server | undefined;
  const close = async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await built.close();
  };
  return {
    app,
    deps,
    listen(port = config.PORT) {
      return new Promise((resolve, reject) => {
        // Local mode serves one person's browser: loopback only, unless HOST says otherwise.
        const host = config.HOST ?? (config.LOCAL_MODE ? '127.0.0.1' : undefined);
        server = app.listen(port, host, () => {
          server!.off('error', reject);
          // Node cuts requests off after 5 minutes; a 500 MB upload over a slow link needs longer. Every
          // other route has its own, shorter deadline (http/deadline.ts).
          server!.requestTimeout = 60 * 60_000;
          // Idle keep-alive connections outlive the ALB's (60 s): the load balancer, not the API, closes
          // them, so it never sends a request on a connection the API is closing (a 502).
          server!.keepAliveTimeout = KEEP_ALIVE_MS;
          server!.headersTimeout = KEEP_ALIVE_MS + 1_000;
          const addr = server!.address() as AddressInfo;
          resolve(`http://127.0.0.1:${addr.port}`);
        });
        // A port already taken (EADDRINUSE) is the caller's to report, not an uncaught 'error' event.
        server.once('error', reject);
      });
    },
    close,
    async shutdown(delayMs) {
      draining = true;
      log.info({ delayMs }, 'draining: readiness fails, then the server stops listening');
      await new Promise((r) => setTimeout(r, delayMs));
      await close();
    },
  };
}
