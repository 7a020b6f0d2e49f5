import { createHash } from 'node:crypto';
import { API_GROUP } from './labels.js';
import { DEFAULT_NAMESPACE } from './names.js';
import type { ResolvedServed, ResolvedSpec, ResolvedWorker, TenancyStatus } from './types.js';

// The names of a tenant's slice of the shared data services. The operator provisions under these names and
// the synth hands the same prefixes to the workloads, so both must come from here.

/** The names of one tenant's slice of the shared data services; all derive from namespace/name. */
export interface TenantIdentity {
  /** Postgres role and database, and Redis user: `t_<32 hex>` (opaque) or `t_<slug ≤ 44>_<16 hex>` (named). */
  id: string;
  /** ElastiCache's UserId of the tenant's Redis user (its UserName is `id`): IDs take letters, digits and '-'. */
  elastiCacheUserId: string;
  redisKeyPrefix: string;
  opensearchIndexPrefix: string;
}

/**
 * How a tenant's slices are named. `opaque` (every new platform): a hash only, because Postgres shows every
 * role's and database's name to every role (pg_roles, pg_database are readable by all, and RDS gives no
 * superuser to hide them), so a readable name would tell each tenant who the others are. `named`: the slug
 * and hash earlier builds of the operator used, kept by the platforms provisioned under it (renaming a live database,
 * Redis keys and indices is not something to do behind a tenant's back).
 */
export type TenantNaming = 'opaque' | 'named';
export const TENANT_NAMINGS: readonly TenantNaming[] = ['opaque', 'named'];

/**
 * Picks the naming of a platform whose status records no slice yet (a platform re-created to take over
 * slices retained under the named scheme): `named` or `opaque`. Ignored once the status records a slice.
 */
export const TENANT_NAMING_ANNOTATION = `${API_GROUP}/tenant-naming`;

/** The hash both namings use; also what owner records carry instead of the readable namespace/name. */
export function platformDigest(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex');
}

export function tenantIdentity(
  namespace: string,
  name: string,
  naming: TenantNaming = 'opaque',
): TenantIdentity {
  const digest = platformDigest(namespace, name);
  // Opaque: 128 bits. Named: 64 bits and a slug. Either way, finding a second namespace/name with the same id
  // is out of reach; the operator also records the owner on every slice and refuses another's (ownership.ts).
  const id =
    naming === 'opaque' ? `t_${digest.slice(0, 32)}` : `t_${slugOf(namespace, name)}_${digest.slice(0, 16)}`;
  const hyphenated = id.replace(/_/g, '-');
  return {
    id,
    elastiCacheUserId: hyphenated,
    redisKeyPrefix: `${id}:`,
    opensearchIndexPrefix: `${hyphenated}-`,
  };
}

function slugOf(namespace: string, name: string): string {
  return (
    `${namespace}_${name}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 44)
      // A cut may end on '_': `__` would become `--` in the ElastiCache user ID, which ElastiCache refuses.
      .replace(/_+$/, '')
  );
}

/** What tenantNaming() reads of a platform. */
export interface TenantNamingSource {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  status?: { tenancy?: TenancyStatus };
}

/**
 * The naming of a platform's slices: the one its status records (a platform provisioned under the named
 * scheme keeps it across operator upgrades), else the annotation's, else opaque.
 */
export function tenantNaming(platform: TenantNamingSource): TenantNaming {
  const namespace = platform.metadata.namespace ?? DEFAULT_NAMESPACE;
  const recorded = platform.status?.tenancy;
  if (recorded) {
    const named = tenantIdentity(namespace, platform.metadata.name, 'named');
    if (
      recorded.database === named.id ||
      recorded.redisUser === named.id ||
      recorded.opensearchIndexPrefix === named.opensearchIndexPrefix
    )
      return 'named';
    if (recorded.database || recorded.redisUser || recorded.opensearchIndexPrefix) return 'opaque';
  }
  const asked = platform.metadata.annotations?.[TENANT_NAMING_ANNOTATION];
  return asked === 'named' ? 'named' : 'opaque';
}

/** The identity of a platform's slices (tenantNaming() picks the scheme). */
export function platformTenantIdentity(platform: TenantNamingSource): TenantIdentity {
  return tenantIdentity(
    platform.metadata.namespace ?? DEFAULT_NAMESPACE,
    platform.metadata.name,
    tenantNaming(platform),
  );
}

/**
 * Most pods a component can have at once: its ceiling (the autoscaler's max, whichever autoscaler scales
 * it) plus the Deployment's default 25% surge.
 */
export function peakPods(c: ResolvedWorker | ResolvedServed): number {
  const ceiling = c.autoscaling.enabled ? c.autoscaling.max : c.replicas;
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
