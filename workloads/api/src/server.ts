// The HTTP API. Every /v1 route but login names the least role it needs; the auth middleware
// rejects anything else before a handler runs.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { Redis } from 'ioredis';
import Koa, { type Context, type Next } from 'koa';
import { pino, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { LoginLimiter } from './auth/login-limit.js';
import { hashPassword, verifyPassword } from './auth/password.js';
import { AuthError, TokenService, allows, type Principal, type Role } from './auth/tokens.js';
import type { ApiConfig } from './config.js';
import { ingestJsonBatch } from './ingest/json-batch.js';
import { MlClient } from './ml-client.js';
import { createPgDb, type Db } from './store/db.js';
import { getJob } from './store/jobs.js';
import { migrate } from './store/migrations.js';
import { getTicket, listTickets } from './store/tickets-read.js';
import { bootstrapAdmin, findUser } from './store/users.js';

export interface ApiServer {
  app: Koa;
  db: Db;
  tokens: TokenService;
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

type State = { principal?: Principal };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Typed `never`, unlike ctx.throw, so the compiler narrows after a failed check. */
function fail(status: number, message: string): never {
  throw new HttpError(status, message);
}

function requireRole(role: Role) {
  return async (ctx: Context, next: Next) => {
    const principal = (ctx.state as State).principal;
    if (!principal) fail(401, 'authentication required');
    if (!allows(principal.role, role)) fail(403, `requires role ${role}`);
    await next();
  };
}

const ticketQuery = z.object({
  status: z.string().max(100).optional(),
  priority: z.string().max(100).optional(),
  assignee: z.string().max(200).optional(),
  label: z.enum(['negative', 'neutral', 'positive']).optional(),
  trend: z.enum(['improving', 'declining', 'stable', 'volatile']).optional(),
  sort: z.enum(['score', 'updated', 'id']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const loginBody = z.object({ email: z.string().email().max(320), password: z.string().min(1).max(1024) });

export async function createApiServer(
  config: ApiConfig,
  options: { log?: Logger; db?: Db } = {},
): Promise<ApiServer> {
  const log = options.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'sentiment-api', tenant: config.TENANT } });
  const db = options.db ?? createPgDb(config.DATABASE_URL);
  await migrate(db);
  if (config.BOOTSTRAP_ADMIN_EMAIL && config.BOOTSTRAP_ADMIN_PASSWORD) {
    if (await bootstrapAdmin(db, config.BOOTSTRAP_ADMIN_EMAIL, config.BOOTSTRAP_ADMIN_PASSWORD)) log.info('bootstrap admin created');
  }
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const ml = new MlClient(config.ML_URL, config.ML_BATCH_SIZE);
  const decoyHash = await hashPassword(randomUUID());
  const limiter = new LoginLimiter(redis, config.REDIS_KEY_PREFIX);
  const tokens = new TokenService({
    tenant: config.TENANT,
    secret: config.JWT_SECRET,
    jwksUrl: config.OIDC_JWKS_URL,
    issuer: config.OIDC_ISSUER,
    audience: config.OIDC_AUDIENCE,
  });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sentiment_api_' });
  const requests = new Counter({ name: 'sentiment_api_requests_total', help: 'Requests by route and status.', labelNames: ['route', 'status'] as const, registers: [registry] });
  const latency = new Histogram({ name: 'sentiment_api_request_duration_seconds', help: 'Latency by route.', labelNames: ['route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });

  const open = new Router();
  open.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  open.get('/readyz', async (ctx) => {
    const checks = await Promise.allSettled([db.query('SELECT 1'), redis.ping()]);
    const [pg, rd] = checks.map((c) => c.status === 'fulfilled');
    ctx.status = pg && rd ? 200 : 503;
    ctx.body = { postgres: pg, redis: rd };
  });
  open.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  open.post('/v1/auth/login', async (ctx) => {
    const body = loginBody.safeParse(ctx.request.body);
    if (!body.success) fail(400, 'body must be {"email", "password"}');
    const email = body.data.email.toLowerCase();
    if (!(await limiter.allow([`email:${email}`, `ip:${ctx.ip}`]))) fail(429, 'too many login attempts; try later');
    const user = await findUser(db, email);
    // Unknown emails cost the same scrypt work as known ones, so timing does not reveal accounts.
    const valid = await verifyPassword(body.data.password, user?.password_hash ?? decoyHash);
    if (!user || !valid) fail(401, 'wrong email or password');
    ctx.body = { token: await tokens.issue(user.email, user.role), role: user.role };
  });

  const api = new Router({ prefix: '/v1' });
  api.get('/tickets', requireRole('viewer'), async (ctx) => {
    const q = ticketQuery.safeParse(ctx.query);
    if (!q.success) fail(400, q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    ctx.body = await listTickets(db, q.data);
  });
  api.get('/tickets/:id', requireRole('viewer'), async (ctx) => {
    const t = await getTicket(db, String(ctx.params.id));
    if (!t) fail(404, 'no such ticket');
    ctx.body = t;
  });
  api.post('/ingest/json', requireRole('analyst'), async (ctx) => {
    const tickets = (ctx.request.body as { tickets?: unknown } | undefined)?.tickets;
    if (!Array.isArray(tickets) || tickets.length === 0 || tickets.length > 1000) {
      fail(400, 'body must be {"tickets": [...]} with 1 to 1000 tickets');
    }
    ctx.status = 201;
    ctx.body = await ingestJsonBatch(db, ml, tickets, (ctx.state as State).principal!.subject);
  });
  api.get('/jobs/:id', requireRole('viewer'), async (ctx) => {
    const id = String(ctx.params.id);
    const job = /^[0-9a-f-]{36}$/.test(id) ? await getJob(db, id) : null;
    if (!job) fail(404, 'no such job');
    ctx.body = job;
  });

  const app = new Koa({ proxy: true });
  app.use(async (ctx, next) => {
    const end = latency.startTimer();
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      ctx.status = status;
      ctx.body = { error: status < 500 ? (err as Error).message : 'internal error' };
      if (status >= 500) log.error({ err, path: ctx.path }, 'request failed');
    } finally {
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      end({ route });
      requests.inc({ route, status: String(ctx.status) });
    }
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  app.use(async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header.startsWith('Bearer ')) {
      try {
        (ctx.state as State).principal = await tokens.verify(header.slice(7));
      } catch (err) {
        if (err instanceof AuthError) fail(401, err.message);
        throw err;
      }
    }
    await next();
  });
  app.use(open.routes()).use(open.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());

  let server: Server | undefined;
  return {
    app,
    db,
    tokens,
    listen(port = config.PORT) {
      return new Promise((resolve) => {
        server = app.listen(port, () => {
          const addr = server!.address() as AddressInfo;
          resolve(`http://127.0.0.1:${addr.port}`);
        });
      });
    },
    async close() {
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      redis.disconnect();
      if (!options.db) await db.close();
    },
  };
}
