// Names derived from a platform's name. The operator, synth, tenancy and tests must agree on them,
// so they are computed here and nowhere else.

/** The namespace objects go to when the SentimentPlatform names none (as kubectl would). */
export const DEFAULT_NAMESPACE = 'default';

export type ComponentName = 'api' | 'worker' | 'ml' | 'llm';

/** `<platform>-<component>`: stable, no hashes, so pruning and `kubectl get` find them by name. */
export const componentName = (platform: string, component: ComponentName): string =>
  `${platform}-${component}`;

/** The Secret the operator writes when it provisions the tenant's slice of the shared data services. */
export const dataSecretName = (platform: string): string => `${platform}-data`;

/** Keys of the data Secret; a user-supplied secretRef without `key` uses these keys too. */
export const DATA_SECRET_KEYS = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  opensearch: 'OPENSEARCH_URL',
} as const;

/**
 * Keys of the provisioned data Secret holding the tenant's Redis connection in parts, next to its URL, by the
 * name of KEDA's redis scaler parameter each one fills: that scaler (the worker's queue-driven autoscaler)
 * takes no URL (see redisScalerValues).
 */
export const REDIS_SCALER_KEYS = {
  address: 'REDIS_ADDRESS',
  username: 'REDIS_USERNAME',
  password: 'REDIS_PASSWORD',
  tls: 'REDIS_TLS',
} as const;

/**
 * The API's own credentials: its HS256 token signing key and its first admin. The operator generates
 * this Secret once unless it already exists (the user may bring it), and never rewrites it.
 */
export const authSecretName = (platform: string): string => `${platform}-auth`;

/** Keys of the auth Secret; each is also the environment variable the API reads it from. */
export const AUTH_SECRET_KEYS = {
  jwtSecret: 'JWT_SECRET',
  adminEmail: 'BOOTSTRAP_ADMIN_EMAIL',
  adminPassword: 'BOOTSTRAP_ADMIN_PASSWORD',
} as const;

/**
 * Longest platform name: `<name>-worker` must stay a DNS-1035 label (63) with room for the
 * suffixes of NetworkPolicies and tenancy identifiers (Postgres identifiers stop at 63 bytes).
 */
export const MAX_PLATFORM_NAME = 40;

/** Optional Secret the user creates with HF_TOKEN, for gated models of a self-hosted LLM. */
export const llmSecretName = (platform: string): string => `${platform}-llm`;
export const HF_TOKEN_KEY = 'HF_TOKEN';
