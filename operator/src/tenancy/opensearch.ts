// A tenant's slice of the shared OpenSearch, as fine-grained access control (AWS FGAC, the security
// plugin) enforces it: an internal user and a role that may do anything to the indices under the
// tenant's prefix and nothing to any other, mapped to each other through the security REST API. The
// operator's own URL carries the master user; tenants get URLs with their own user only.
import { Client } from '@opensearch-project/opensearch';
import {
  conflict,
  mayAdopt,
  mayDrop,
  ownerRecord,
  parseOwnerRecord,
  type OwnerRecord,
  type TenantRef,
} from './ownership.js';
import { ExplainedError } from './failure.js';

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
export class OpenSearchSecurityUnavailable extends ExplainedError {}
const SECURITY_UNAVAILABLE =
  'the shared OpenSearch has no security plugin (fine-grained access control): tenants cannot get users of their own; enable it, or give the platform its own endpoint (spec.data.opensearch)';

/** No handler for the security API's paths: the cluster runs without the security plugin. */
const noSecurityPlugin = (err: unknown) =>
  statusOf(err) === 400 &&
  /no handler found/i.test(JSON.stringify((err as { meta?: { body?: unknown } }).meta?.body));

/** The internal user attribute that holds the owner record (attribute values are strings). */
const OWNER_ATTRIBUTE = 'sentiment_owner';

/** The tenant user's owner record; 'absent' when there is no such user. */
async function userOwner(c: Client, id: string): Promise<OwnerRecord | undefined | 'absent'> {
  try {
    const res = await c.transport.request({ method: 'GET', path: `${SECURITY_API}/internalusers/${id}` });
    const user = (res.body as Record<string, { attributes?: Record<string, string> }>)[id];
    return parseOwnerRecord(user?.attributes?.[OWNER_ATTRIBUTE]);
  } catch (err) {
    if (statusOf(err) === 404) return 'absent';
    if (noSecurityPlugin(err)) throw new OpenSearchSecurityUnavailable(SECURITY_UNAVAILABLE);
    throw err;
  }
}

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

async function securityApi(
  c: Client,
  method: 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: object,
): Promise<void> {
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
        if (noSecurityPlugin(err)) throw new OpenSearchSecurityUnavailable(SECURITY_UNAVAILABLE);
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
  tenant: TenantRef,
  id: string,
  indexPrefix: string,
  password: string,
  replicas: number,
): Promise<void> {
  const c = client(url);
  try {
    // The user is the slice's anchor: role, mapping and template of that name are replaced only if it is ours.
    const owner = await userOwner(c, id);
    if (owner !== 'absent' && !mayAdopt(owner, tenant)) throw conflict(`the OpenSearch user ${id}`, owner);
    await securityApi(c, 'PUT', `roles/${id}`, tenantRole(indexPrefix));
    await securityApi(c, 'PUT', `internalusers/${id}`, {
      password,
      description: 'sentiment-operator: a tenant platform',
      attributes: { [OWNER_ATTRIBUTE]: ownerRecord(tenant) },
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

/** Drops the tenant's indices, template, user, role and mapping if they are this platform's; false if not. */
export async function dropOpenSearchTenant(
  url: string,
  tenant: TenantRef,
  id: string,
  indexPrefix: string,
): Promise<boolean> {
  const c = client(url);
  try {
    const owner = await userOwner(c, id);
    if (owner !== 'absent' && !mayDrop(owner, tenant)) return false;
    // Explicit names, not a wildcard delete: clusters with action.destructive_requires_name refuse those.
    const indices = await tenantIndices(c, indexPrefix);
    if (indices.length) await c.indices.delete({ index: indices.join(',') });
    await c.indices.deleteIndexTemplate({ name: id }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    await securityApi(c, 'DELETE', `rolesmapping/${id}`);
    await securityApi(c, 'DELETE', `internalusers/${id}`);
    await securityApi(c, 'DELETE', `roles/${id}`);
    return true;
  } finally {
    await c.close();
  }
}

/** Marks this platform's user as kept for the next platform of the same namespace/name (retainOnDelete). */
export async function releaseOpenSearchTenant(url: string, tenant: TenantRef, id: string): Promise<void> {
  const c = client(url);
  try {
    const owner = await userOwner(c, id);
    if (owner === 'absent' || !mayDrop(owner, tenant)) return;
    await securityApi(c, 'PATCH', `internalusers/${id}`, [
      { op: 'add', path: '/attributes', value: { [OWNER_ATTRIBUTE]: ownerRecord(tenant, true) } },
    ]);
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
