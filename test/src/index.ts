import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `test/env/up` writes the addresses of what it started. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENV_FILE = process.env.SENTIMENT_TEST_ENV ?? join(REPO_ROOT, '.env.test');

export interface TestEnv {
  KUBECONFIG: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  /** The ElastiCache-like Redis (RBAC, ACL refused): the operator's user, and the user group bound to it. */
  ELASTICACHE_REDIS_URL: string;
  ELASTICACHE_USER_GROUP: string;
  OPENSEARCH_URL: string;
  HELM: string;
  KUBECTL: string;
  /** Static admin token of the test API server (also inside KUBECONFIG). */
  KUBE_TOKEN: string;
  KUBE_SERVER: string;
  /** Same cluster as the identity `sentiment-operator-test`, for operators under test. */
  OPERATOR_KUBECONFIG: string;
  /** The API server's audit log (JSON lines), to count exactly which requests an identity made. */
  AUDIT_LOG: string;
  /** The CA that signs every test data service's certificate (they all serve TLS). */
  DATA_CA_FILE: string;
  /** The cluster's one node (kubelet + containerd in their own network namespace). */
  NODE_NAME: string;
  /** Images built from this checkout by test/env/images and loaded into the node. */
  OPERATOR_IMAGE: string;
  API_IMAGE: string;
  ML_IMAGE: string;
  /** The tenant backup tool (workloads/backup): Debian trixie, pg_dump/pg_restore 17. */
  BACKUP_IMAGE: string;
  /** The LLM model cache tool (workloads/model-cache): seed (Hub to S3) and fetch (S3 to disk). */
  MODEL_CACHE_IMAGE: string;
  /** moto in server mode, the AWS endpoint stand-in, with the dummy keys and region it accepts. */
  AWS_ENDPOINT_URL: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  /**
   * A second moto that enforces IAM policies (signed requests from known keys, allowed by policy): its
   * administrator's keys. For what a test checks by IAM evaluation; IRSA cannot use it (moto wants
   * AssumeRoleWithWebIdentity signed when it enforces).
   */
  MOTO_STRICT_ENDPOINT_URL: string;
  MOTO_STRICT_ACCESS_KEY_ID: string;
  MOTO_STRICT_SECRET_ACCESS_KEY: string;
  /** A llama.cpp server (OpenAI-compatible, /v1) with a tiny random-weight model the environment wrote. */
  LLAMA_CPP_URL: string;
  LLAMA_CPP_MODEL: string;
  /** Argo CD's controllers and repo server (one binary under each name), built from its Go module. */
  ARGOCD_BIN_DIR: string;
  /** Argo CD's CRDs (Application, ApplicationSet, AppProject) from the same module. */
  ARGOCD_CRDS_DIR: string;
}

const KEYS: (keyof TestEnv)[] = [
  'KUBECONFIG',
  'DATABASE_URL',
  'REDIS_URL',
  'ELASTICACHE_REDIS_URL',
  'ELASTICACHE_USER_GROUP',
  'OPENSEARCH_URL',
  'HELM',
  'KUBECTL',
  'KUBE_TOKEN',
  'KUBE_SERVER',
  'OPERATOR_KUBECONFIG',
  'AUDIT_LOG',
  'DATA_CA_FILE',
  'NODE_NAME',
  'OPERATOR_IMAGE',
  'API_IMAGE',
  'ML_IMAGE',
  'BACKUP_IMAGE',
  'MODEL_CACHE_IMAGE',
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'MOTO_STRICT_ENDPOINT_URL',
  'MOTO_STRICT_ACCESS_KEY_ID',
  'MOTO_STRICT_SECRET_ACCESS_KEY',
  'LLAMA_CPP_URL',
  'LLAMA_CPP_MODEL',
  'ARGOCD_BIN_DIR',
  'ARGOCD_CRDS_DIR',
];

/** Configuration of an AWS SDK v3 client that talks to the test environment's moto. */
export function awsClientConfig(env: TestEnv): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
}

/** The same for the strict moto (IAM policies enforced), as its administrator. */
export function strictAwsClientConfig(env: TestEnv): ReturnType<typeof awsClientConfig> {
  return {
    endpoint: env.MOTO_STRICT_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: {
      accessKeyId: env.MOTO_STRICT_ACCESS_KEY_ID,
      secretAccessKey: env.MOTO_STRICT_SECRET_ACCESS_KEY,
    },
  };
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** The running test environment; throws a clear instruction when it is not up. */
export function loadTestEnv(): TestEnv {
  if (!existsSync(ENV_FILE)) {
    throw new Error(`test environment is not running (${ENV_FILE} missing): run \`npm run env:up\``);
  }
  const vars = parseEnvFile(readFileSync(ENV_FILE, 'utf8'));
  const missing = KEYS.filter((k) => !vars[k]);
  if (missing.length) throw new Error(`${ENV_FILE} lacks ${missing.join(', ')}: rerun \`npm run env:up\``);
  return vars as unknown as TestEnv;
}
export { auditEvents, followAudit, isWrite, writesIn, type AuditEvent } from './audit.js';
export { run, type RunResult } from './run.js';
export { waitFor } from './wait.js';
export { condition, getPlatform } from './platforms.js';
export { sql } from './sql.js';
export { startFakeHub, type FakeHub, type FakeRepo } from './hub-stand-in.js';
