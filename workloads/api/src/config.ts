// All configuration comes from environment variables (the operator's synth sets these names; see
// README.md). It is validated once at start so a misconfigured pod fails fast with every problem listed.
import { z } from 'zod';

const url = z.string().url();

const schema = z
  .object({
    TENANT: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    DATABASE_URL: url,
    REDIS_URL: url,
    REDIS_KEY_PREFIX: z.string().min(1),
    OPENSEARCH_URL: url,
    OPENSEARCH_INDEX_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a valid lowercase index prefix'),
    ML_URL: url,
    ML_BATCH_SIZE: z.coerce.number().int().min(1).max(512).default(64),
    LLM_PROVIDER: z.enum(['bedrock', 'self-hosted', 'none']).default('none'),
    BEDROCK_MODEL_ID: z.string().optional(),
    BEDROCK_REGION: z.string().optional(),
    BEDROCK_ENDPOINT: url.optional(),
    LLM_URL: url.optional(),
    LLM_MODEL: z.string().optional(),
    JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
    OIDC_ISSUER: url.optional(),
    OIDC_JWKS_URL: url.optional(),
    OIDC_AUDIENCE: z.string().optional(),
    BOOTSTRAP_ADMIN_EMAIL: z.string().email().optional(),
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
    UPLOAD_DIR: z.string().default('/tmp/sentiment-uploads'),
    MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(500 * 1024 * 1024),
  });

type Env = Record<string, string | undefined>;

/** Rules across variables, checked on the raw env so they are reported together with field errors. */
function crossFieldIssues(c: Env): string[] {
  const issues: string[] = [];
  const need = (cond: boolean, path: string, message: string) => {
    if (!cond) issues.push(`  ${path}: ${message}`);
  };
  need(Boolean(c.JWT_SECRET || c.OIDC_JWKS_URL), 'JWT_SECRET', 'set JWT_SECRET or OIDC_JWKS_URL (no default secret)');
  if (c.LLM_PROVIDER === 'bedrock') {
    need(Boolean(c.BEDROCK_MODEL_ID), 'BEDROCK_MODEL_ID', 'required when LLM_PROVIDER=bedrock');
    need(Boolean(c.BEDROCK_REGION), 'BEDROCK_REGION', 'required when LLM_PROVIDER=bedrock');
  }
  if (c.LLM_PROVIDER === 'self-hosted') {
    need(Boolean(c.LLM_URL), 'LLM_URL', 'required when LLM_PROVIDER=self-hosted');
    need(Boolean(c.LLM_MODEL), 'LLM_MODEL', 'required when LLM_PROVIDER=self-hosted');
  }
  need(
    Boolean(c.BOOTSTRAP_ADMIN_EMAIL) === Boolean(c.BOOTSTRAP_ADMIN_PASSWORD),
    'BOOTSTRAP_ADMIN_PASSWORD',
    'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together',
  );
  return issues;
}

export type ApiConfig = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Validates `env`; throws ConfigError naming every bad or missing variable (never their values). */
export function loadConfig(env: Env = process.env): ApiConfig {
  // Empty strings from templated manifests mean "unset".
  const cleaned: Env = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  const lines = result.success ? [] : result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
  lines.push(...crossFieldIssues(cleaned));
  if (result.success && lines.length === 0) return result.data;
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
