// A tenant's slice of the shared OpenSearch, as fine-grained access control (AWS FGAC, the security
// plugin) enforces it: an internal user and a role that may do anything to the indices under the
// tenant's prefix and nothing to any other, mapped to each other through the security REST API. The
// operator's own URL carries the master user; tenants get URLs with their own user only.
import { Client } from '@opensearch-project/opensearch';

const SECURITY_API = '/_plugins/_security/api';

/**
 * What a tenant's API and workers do with OpenSearch, and no more: everything to their own indices;
 * bulk writes, which the security plugin authorizes as a cluster action (each item is then checked
 * against the index permissions); and reading the nodes' plugin list, from which the API picks the
 * analyzer and vector support.
 */
export function tenantRole(indexPrefix: string): Record<string, unknown> {
  return {
    description: `sentiment-operator: the tenant whose indices start with ${indexPrefix}`,
    cluster_permissions: ['indices:data/write/bulk', 'cluster:monitor/nodes/info'],
    index_permissions: [{ index_patterns: [`${indexPrefix}*`], allowed_actions: ['indices_all'] }],
  };
}

/** The security plugin is missing or off: there is no way to give a tenant a user of its own. */
export class OpenSearchSecurityUnavailable extends Error {}

function client(url: string): Client {
  return new Client({ node: url });
}

const statusOf = (err: unknown) => (err as { meta?: { statusCode?: number } }).meta?.statusCode;

/**
 * The security plugin keeps each kind of object (users, roles, mappings) in one document, so two writes at
 * once (this operator's concurrent reconciles, or two operators during a failover) conflict with a 409:
 * writes from this process go one at a time, and a conflict with another writer is retried.
 */
let securityWrites: Promise<unknown> = Promise.resolve();

async function securityApi(c: Client, method: 'PUT' | 'DELETE', path: string, body?: object): Promise<void> {
  const attempt = async (): Promise<void> => {
    for (let tries = 1; ; tries++) {
      try {
        await c.transport.request({ method, path: `${SECURITY_API}/${path}`, ...(body && { body }) });
        return;
      } catch (err) {
        const status = statusOf(err);
        if (method === 'DELETE' && status === 404) return;
        if (status === 409 && tries < 8) {
          await new Promise((r) => setTimeout(r, 50 * tries + Math.random() * 100));
          continue;
        }
        // No handler for the path: the cluster runs without the security plugin.
        if (
          status === 400 &&
          /no handler found/i.test(JSON.stringify((err as { meta?: { body?: unknown } }).meta?.body))
        )
          throw new OpenSearchSecurityUnavailable(
            'the shared OpenSearch has no security plugin (fine-grained access control): tenants cannot get users of their own; enable it, or give the platform its own endpoint (spec.data.opensearch)',
          );
        throw err;
      }
    }
  };
  const write = securityWrites.then(attempt, attempt);
  securityWrites = write.catch(() => undefined);
  return write;
}

/**
 * Idempotent: the index template (settings of the tenant's indices), the role, the internal user with
 * `password`, and the mapping between them; each PUT replaces what an earlier run or a hand left there.
 */
export async function ensureOpenSearchTenant(
  url: string,
  id: string,
  indexPrefix: string,
  password: string,
  replicas: number,
): Promise<void> {
  const c = client(url);
  try {
    await securityApi(c, 'PUT', `roles/${id}`, tenantRole(indexPrefix));
    await securityApi(c, 'PUT', `internalusers/${id}`, {
      password,
      description: 'sentiment-operator: a tenant platform',
    });
    await securityApi(c, 'PUT', `rolesmapping/${id}`, { users: [id] });
    await c.indices.putIndexTemplate({
      name: id,
      body: {
        index_patterns: [`${indexPrefix}*`],
        priority: 100,
        template: { settings: { number_of_shards: 1, number_of_replicas: replicas } },
        _meta: { managed_by: 'sentiment-operator' },
      },
    });
  } finally {
    await c.close();
  }
}

export async function dropOpenSearchTenant(url: string, id: string, indexPrefix: string): Promise<void> {
  const c = client(url);
  try {
    // Explicit names, not a wildcard delete: clusters with action.destructive_requires_name refuse those.
    const indices = await tenantIndices(c, indexPrefix);
    if (indices.length) await c.indices.delete({ index: indices.join(',') });
    await c.indices.deleteIndexTemplate({ name: id }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    await securityApi(c, 'DELETE', `rolesmapping/${id}`);
    await securityApi(c, 'DELETE', `internalusers/${id}`);
    await securityApi(c, 'DELETE', `roles/${id}`);
  } finally {
    await c.close();
  }
}

export async function openSearchTenantIndices(url: string, indexPrefix: string): Promise<string[]> {
  const c = client(url);
  try {
    return await tenantIndices(c, indexPrefix);
  } finally {
    await c.close();
  }
}

/** Whether the tenant's user, role and mapping exist (tests and the cleanup check). */
export async function openSearchTenantExists(
  url: string,
  id: string,
): Promise<{ user: boolean; role: boolean; mapping: boolean }> {
  const c = client(url);
  const exists = async (kind: string) =>
    c.transport.request({ method: 'GET', path: `${SECURITY_API}/${kind}/${id}` }).then(
      () => true,
      (err: unknown) => {
        if (statusOf(err) === 404) return false;
        throw err;
      },
    );
  try {
    return {
      user: await exists('internalusers'),
      role: await exists('roles'),
      mapping: await exists('rolesmapping'),
    };
  } finally {
    await c.close();
  }
}

async function tenantIndices(c: Client, indexPrefix: string): Promise<string[]> {
  const res = await c.cat.indices({ index: `${indexPrefix}*`, format: 'json', expand_wildcards: 'all' });
  return (res.body as { index: string }[]).map((i) => i.index).filter((name) => name.startsWith(indexPrefix));
}
