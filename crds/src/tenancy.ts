import { createHash } from 'node:crypto';

// The names of a tenant's slice of the shared data services. The operator provisions under these names and
// the synth hands the same prefixes to the workloads, so both must come from here.

/** The names of one tenant's slice of the shared data services; all derive from namespace/name. */
export interface TenantIdentity {
  /** Postgres role and database, and Redis ACL user: `t_<slug>_<hash>` (≤ 63 bytes, [a-z0-9_]). */
  id: string;
  redisKeyPrefix: string;
  opensearchIndexPrefix: string;
}

/**
 * A slug keeps names readable in `psql \l` and `ACL LIST`; the hash of the exact namespace/name keeps
 * them unique where slugs collide (`tenant-a/x` vs `tenant_a/x`) or were truncated.
 */
export function tenantIdentity(namespace: string, name: string): TenantIdentity {
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 8);
  const slug = `${namespace}_${name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50);
  const id = `t_${slug}_${hash}`;
  return { id, redisKeyPrefix: `${id}:`, opensearchIndexPrefix: `${id.replace(/_/g, '-')}-` };
}
