// Builds AppDeps from config: managed services when their URLs are set, embedded stand-ins in local
// mode (PGlite, in-process queue, Postgres search, in-memory budget counters).
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { AskLimiter } from '../ask/limits.js';
import { LoginLimiter } from '../auth/login-limit.js';
import { TokenService } from '../auth/tokens.js';
import { memoryCounter, redisCounter } from '../http/window-counter.js';
import { ConfigError, LOCAL_TENANT, type ApiConfig } from '../config.js';
import { createLlm } from '../llm/create.js';
import { MlClient } from '../ml-client.js';
import { bullmqQueue } from '../queue/bullmq.js';
import { inProcessQueue } from '../queue/in-process.js';
import { createSearch } from '../search/create.js';
import { createPgDb, type Db } from '../store/db.js';
import { migrate } from '../store/migrations.js';
import type { AppDeps } from './deps.js';

export interface BuiltDeps {
  deps: AppDeps;
  /** Closes what was created here (not the overrides the caller passed in). */
  close(): Promise<void>;
}

/**
 * PGlite, loaded only when no DATABASE_URL is set: it is an optional peer dependency, absent from the
 * cluster image (which always gets DATABASE_URL), present for the local platform and the tests.
 */
async function embeddedDb(dataDir: string | undefined): Promise<Db> {
  try {
    const { createPgliteDb } = await import('../store/pglite-db.js');
    return await createPgliteDb(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new ConfigError(
      'DATABASE_URL: required here: this installation has no embedded database (@electric-sql/pglite); set DATABASE_URL, or run the local platform (npm start)',
    );
  }
}

export async function createDeps(config: ApiConfig, overrides: Partial<AppDeps> = {}): Promise<BuiltDeps> {
  const closers: (() => Promise<void>)[] = [];
  const log: Logger =
    overrides.log ??
    pino({
      level: process.env.LOG_LEVEL ?? 'info',
      base: { component: 'sentiment-api', platform: config.SENTIMENT_PLATFORM },
    });

  let db: Db | undefined = overrides.db;
  if (!db) {
    db = config.DATABASE_URL
      ? createPgDb(config.DATABASE_URL, {
          max: config.DB_POOL_SIZE,
          onIdleError: (err) =>
            log.warn({ err: err.message }, 'database connection lost while idle; the pool replaced it'),
        })
      : await embeddedDb(config.DATA_DIR);
    closers.push(db.close);
  }
  await migrate(db);

  let redis: Redis | null = overrides.redis ?? null;
  if (overrides.redis === undefined && config.REDIS_URL) {
    const r = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // It reconnects by itself (a failover, a restart); without a listener each failed try is printed
    // to stderr as an unhandled error.
    r.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
    await r.connect();
    redis = r;
    closers.push(async () => r.disconnect());
  }

  let queue = overrides.queue;
  if (!queue) {
    const q = config.REDIS_URL
      ? bullmqQueue({
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          lockDurationMs: config.QUEUE_LOCK_MS,
          log,
        })
      : inProcessQueue(log);
    closers.push(() => q.close());
    queue = q;
  }

  let search = overrides.search;
  if (!search) {
    const s = createSearch(config, db, log);
    await s.ensure();
    closers.push(() => s.close());
    search = s;
  }

  const registry = overrides.registry ?? new Registry();
  if (!overrides.registry) collectDefaultMetrics({ register: registry, prefix: 'sentiment_api_' });

  // The budgets' counts (login attempts, questions, LLM answers), shared by the replicas through Redis.
  const counter = redis ? redisCounter(redis, config.REDIS_KEY_PREFIX) : memoryCounter();
  let tokens = overrides.tokens;
  const deps: AppDeps = {
    config,
    log,
    db,
    redis,
    ml:
      overrides.ml ?? new MlClient(config.ML_URL, config.ML_BATCH_SIZE, { timeoutMs: config.ML_TIMEOUT_MS }),
    search,
    queue,
    llm: overrides.llm !== undefined ? overrides.llm : createLlm(config),
    // Built on first use: the worker has no auth settings and never touches it (config.ts checks
    // them for the api role, so the API still fails fast at start).
    get tokens() {
      return (tokens ??= new TokenService({
        tenant: `${config.SENTIMENT_NAMESPACE ?? LOCAL_TENANT.namespace}/${config.SENTIMENT_PLATFORM}`,
        tenantUid: config.SENTIMENT_PLATFORM_UID ?? LOCAL_TENANT.uid,
        secret: config.JWT_SECRET,
        jwksUrl: config.OIDC_JWKS_URL,
        issuer: config.OIDC_ISSUER,
        audience: config.OIDC_AUDIENCE,
      }));
    },
    limiter: overrides.limiter ?? new LoginLimiter(counter),
    askLimits:
      overrides.askLimits ??
      new AskLimiter(counter, {
        perUserPerMinute: config.ASK_PER_USER_PER_MINUTE,
        llmPerDay: config.ASK_LLM_DAILY_LIMIT,
      }),
    registry,
  };
  return {
    deps,
    async close() {
      // Reverse order: consumers before the connections they use.
      for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn({ err }, 'close failed'));
    },
  };
}
