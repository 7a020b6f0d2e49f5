import { createHash } from 'node:crypto';
import type { ResolvedServed, ResolvedSpec, ResolvedWorker } from './types.js';

// The names of a tenant's slice of the shared data services. The operator provisions under these names and
// the synth hands the same prefixes to the workloads, so both must come from here.

/** The names of one tenant's slice of the shared data services; all derive from namespace/name. */
export interface TenantIdentity {
  /** Postgres role and database, and Redis user: `t_<slug ≤ 44>_<hash, 16 hex>` (≤ 63 bytes, [a-z0-9_]). */
  id: string;
  /** ElastiCache's UserId of the tenant's Redis user (its UserName is `id`): IDs take letters, digits and '-'. */
  elastiCacheUserId: string;
  redisKeyPrefix: string;
  opensearchIndexPrefix: string;
}

/**
 * A slug keeps names readable in `psql \l` and `ACL LIST`; the hash of the exact namespace/name keeps
 * them unique where slugs collide (`tenant-a/x` vs `tenant_a/x`) or were truncated.
 */
export function tenantIdentity(namespace: string, name: string): TenantIdentity {
  // 64 bits: finding a second namespace/name with the same hash is out of reach (2^32 tries was minutes).
  // The operator also records the owner on every slice and refuses another platform's (ownership.ts).
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 16);
  const slug = `${namespace}_${name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 44)
    // A cut may end on '_': `__` would become `--` in the ElastiCache user ID, which ElastiCache refuses.
    .replace(/_+$/, '');
  const id = `t_${slug}_${hash}`;
  const hyphenated = id.replace(/_/g, '-');
  return {
    id,
    elastiCacheUserId: hyphenated,
    redisKeyPrefix: `${id}:`,
    opensearchIndexPrefix: `${hyphenated}-`,
  };
}

/** Most pods a component can have at once: its ceiling plus the Deployment's default 25% surge. */
export function peakPods(c: ResolvedWorker | ResolvedServed): number {
  const ceiling = 'autoscaling' in c && c.autoscaling.enabled ? c.autoscaling.max : c.replicas;
  return ceiling + Math.ceil(ceiling * 0.25);
}

/**
 * A tenant's share of the shared Postgres: each api and worker pod keeps a pool of `poolSize` connections
 * (DB_POOL_SIZE), and the tenant's role may open as many as its pods can at their peak, plus a few for
 * migrations and a person with psql — and no more, so one tenant cannot exhaust the server's
 * max_connections for the others. Statements and idle transactions are cut off after a time, so a
 * runaway query does not hold a connection (or locks) for good.
 */
export const POSTGRES_BUDGET = {
  poolSize: 4,
  headroom: 3,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
} as const;

export function connectionLimit(spec: Pick<ResolvedSpec, 'api' | 'worker'>): number {
  return POSTGRES_BUDGET.poolSize * (peakPods(spec.api) + peakPods(spec.worker)) + POSTGRES_BUDGET.headroom;
}
