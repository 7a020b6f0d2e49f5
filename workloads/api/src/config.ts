// All configuration comes from environment variables (the operator's synth sets these names; see
// README.md). It is validated once at start so a misconfigured pod fails fast with every problem listed.
import { ENV, REINDEX_ARGS } from '@sentiment/crds';
import { z } from 'zod';

const url = z.string().url();

const schema = z.object({
  [ENV.platform]: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  // The platform's namespace and uid, which tokens are bound to (auth/tokens.ts). Required in a cluster
  // (crossFieldIssues); local mode, with no cluster, has a fixed identity (LOCAL_TENANT).
  [ENV.namespace]: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name')
    .optional(),
  [ENV.platformUid]: z.string().min(1).max(128).optional(),
  /**
   * Proxies in front of the API that append the client's address to X-Forwarded-For. The client is the
   * entry that many from the right; entries further left are whatever the client sent. 0: the header is
   * ignored and the TCP peer is the client.
   */
  [ENV.trustedProxyHops]: z.coerce.number().int().min(0).max(5).default(0),
  [ENV.port]: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Address to listen on; unset: every interface in a cluster, loopback only in local mode. */
  HOST: z.string().min(1).optional(),
  // Local mode (npm start) lets the managed services be absent: PGlite, an in-process queue and
  // Postgres search stand in. In a cluster these stay required so a lost Secret fails fast.
  LOCAL_MODE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  DATA_DIR: z.string().optional(),
  [ENV.databaseUrl]: url.optional(),
  [ENV.redisUrl]: url.optional(),
  [ENV.redisKeyPrefix]: z.string().min(1).default('sentiment:'),
  /** Connections this process keeps to Postgres; the operator sizes the tenant's role limit from it. */
  [ENV.dbPoolSize]: z.coerce.number().int().min(1).max(100).default(10),
  [ENV.opensearchUrl]: url.optional(),
  [ENV.opensearchIndexPrefix]: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a valid lowercase index prefix')
    .default('sentiment'),
  [ENV.mlUrl]: url,
  ML_BATCH_SIZE: z.coerce.number().int().min(1).max(512).default(64),
  /**
   * Deadline of one ML request from the API (search, ask, JSON ingest), plus 250 ms per KiB of text it
   * carries: a hung ML service costs a search its semantic ranking, not its answer.
   */
  ML_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** The same for the worker, whose batches may queue at the ML service behind other workers' batches. */
  ML_JOB_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  /**
   * How an ingest job rides out an ML outage: a failed ML request is retried this many times, the waits
   * doubling from ML_RETRY_DELAY_MS up to ML_RETRY_MAX_DELAY_MS, each jittered down to half at most. The
   * defaults keep retrying for 5.5 to 11 minutes (an ML cold start) without using up the job's attempts.
   */
  ML_JOB_RETRIES: z.coerce.number().int().min(0).max(1000).default(16),
  ML_RETRY_DELAY_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
  ML_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  [ENV.llmProvider]: z.enum(['bedrock', 'self-hosted', 'none']).default('none'),
  [ENV.bedrockModelId]: z.string().optional(),
  [ENV.awsRegion]: z.string().optional(),
  BEDROCK_ENDPOINT: url.optional(),
  [ENV.llmBaseUrl]: url.optional(),
  [ENV.llmModel]: z.string().optional(),
  JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  OIDC_ISSUER: url.optional(),
  OIDC_JWKS_URL: url.optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.string().email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(500 * 1024 * 1024),
  /**
   * Bytes of uploads a tenant may have stored and waiting for their jobs (they live in the shared database
   * until the job ends); an upload that would go past it is refused with 429 and nothing of it is kept.
   */
  UPLOAD_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(1024 * 1024 * 1024),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** How long a silent worker keeps a queued job before another takes it over (crash recovery). */
  QUEUE_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** Questions (POST /v1/ask) per user per minute; more answer 429 (ask/limits.ts). */
  ASK_PER_USER_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  /**
   * LLM answers per tenant per UTC day; past it questions are answered from the template, with a warning.
   * 0: the LLM is never called.
   */
  ASK_LLM_DAILY_LIMIT: z.coerce.number().int().min(0).max(10_000_000).default(500),
  /** CSV rows per scored and committed batch: the checkpoint a crashed job resumes from. */
  INGEST_BATCH_ROWS: z.coerce.number().int().min(1).max(10_000).default(64),
  /** A batch also closes once its rows hold this many bytes of text (ingest/csv-job.ts sizes the default). */
  INGEST_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(256 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /**
   * After SIGTERM the API keeps serving this long while /readyz fails and every response closes its
   * connection, so kube-proxy and the load balancer stop sending it requests before it stops listening.
   */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(5000),
  /** Deadline of a request on routes without a longer one of their own (http/deadline.ts). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Built dashboard (workloads/web/dist) to serve at /; unset in AWS, where CloudFront serves it. */
  WEB_DIR: z.string().optional(),
  /** Origins (comma-separated) whose pages may call this API: the dashboard on CloudFront in AWS. */
  [ENV.corsOrigins]: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine(
            (s) => URL.canParse(s) && new URL(s).origin === s,
            'exact origins, like https://d123.cloudfront.net (no path or trailing slash)',
          ),
      ),
    ),
});

type Env = Record<string, string | undefined>;

/** What this process runs: `node dist/main.js api|worker|reindex`. */
export type ProcessRole = 'api' | 'worker' | (typeof REINDEX_ARGS)[0];

/** Rules across variables, checked on the raw env so they are reported together with field errors. */
function crossFieldIssues(c: Env, role: ProcessRole): string[] {
  const issues: string[] = [];
  const need = (cond: boolean, path: string, message: string) => {
    if (!cond) issues.push(`  ${path}: ${message}`);
  };
  // The worker (same image) neither issues nor verifies tokens, and the operator gives it no auth Secret.
  if (role === 'api')
    need(
      Boolean(c.JWT_SECRET || c.OIDC_JWKS_URL),
      'JWT_SECRET',
      'set JWT_SECRET or OIDC_JWKS_URL (no default secret)',
    );
  if (role === 'api' && c.OIDC_JWKS_URL) {
    // An IdP signs the tokens of every application it serves with the same keys: only issuer and
    // audience say a token was meant for this API.
    for (const v of ['OIDC_ISSUER', 'OIDC_AUDIENCE'])
      need(Boolean(c[v]), v, 'required with OIDC_JWKS_URL (tokens must carry it as iss / aud)');
  }
  if (role === 'api' && c.LOCAL_MODE !== 'true') {
    for (const v of [ENV.namespace, ENV.platformUid])
      need(Boolean(c[v]), v, 'required: tokens are bound to it (the operator sets it)');
  }
  if (c.LOCAL_MODE !== 'true') {
    // The index rebuild (search/reindex.ts) reads the database and writes the index: no queue.
    const services =
      role === REINDEX_ARGS[0]
        ? [ENV.databaseUrl, ENV.opensearchUrl]
        : [ENV.databaseUrl, ENV.redisUrl, ENV.opensearchUrl];
    for (const v of services) need(Boolean(c[v]), v, 'required (only LOCAL_MODE=true runs without it)');
  }
  if (c[ENV.llmProvider] === 'bedrock') {
    need(Boolean(c[ENV.bedrockModelId]), ENV.bedrockModelId, 'required when LLM_PROVIDER=bedrock');
    need(Boolean(c[ENV.awsRegion]), ENV.awsRegion, 'required when LLM_PROVIDER=bedrock');
  }
  if (c[ENV.llmProvider] === 'self-hosted') {
    need(Boolean(c[ENV.llmBaseUrl]), ENV.llmBaseUrl, 'required when LLM_PROVIDER=self-hosted');
    need(Boolean(c[ENV.llmModel]), ENV.llmModel, 'required when LLM_PROVIDER=self-hosted');
  }
  need(
    Boolean(c.BOOTSTRAP_ADMIN_EMAIL) === Boolean(c.BOOTSTRAP_ADMIN_PASSWORD),
    'BOOTSTRAP_ADMIN_PASSWORD',
    'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together',
  );
  return issues;
}

export type ApiConfig = z.infer<typeof schema>;

/** The identity of a local-mode process (no cluster): fixed, so restarts keep logins valid. */
export const LOCAL_TENANT = { namespace: 'local', uid: 'local' } as const;

export class ConfigError extends Error {}

/** Validates `env`; throws ConfigError naming every bad or missing variable (never their values). */
export function loadConfig(env: Env = process.env, role: ProcessRole = 'api'): ApiConfig {
  // Empty strings from templated manifests mean "unset".
  const cleaned: Env = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  const lines = result.success
    ? []
    : result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
  lines.push(...crossFieldIssues(cleaned, role));
  if (result.success && lines.length === 0) return result.data;
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
