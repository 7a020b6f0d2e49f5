import { Client } from '@opensearch-project/opensearch';

/**
 * A tenant owns the indices under its prefix. The index template fixes their settings; on AWS,
 * fine-grained access control maps the tenant's IAM role to `<prefix>*` (the test OpenSearch has no
 * security plugin, so there the prefix is a naming contract only).
 */
export async function ensureOpenSearchTenant(
  url: string,
  id: string,
  indexPrefix: string,
  replicas: number,
): Promise<void> {
  const client = new Client({ node: url });
  await client.indices.putIndexTemplate({
    name: id,
    body: {
      index_patterns: [`${indexPrefix}*`],
      priority: 100,
      template: { settings: { number_of_shards: 1, number_of_replicas: replicas } },
      _meta: { managed_by: 'sentiment-operator' },
    },
  });
}

export async function dropOpenSearchTenant(url: string, id: string, indexPrefix: string): Promise<void> {
  const client = new Client({ node: url });
  // Explicit names, not a wildcard delete: clusters with action.destructive_requires_name refuse those.
  const indices = await tenantIndices(client, indexPrefix);
  if (indices.length) await client.indices.delete({ index: indices.join(',') });
  await client.indices.deleteIndexTemplate({ name: id }).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  });
}

export async function openSearchTenantIndices(url: string, indexPrefix: string): Promise<string[]> {
  return tenantIndices(new Client({ node: url }), indexPrefix);
}

async function tenantIndices(client: Client, indexPrefix: string): Promise<string[]> {
  const res = await client.cat.indices({ index: `${indexPrefix}*`, format: 'json', expand_wildcards: 'all' });
  return (res.body as { index: string }[]).map((i) => i.index).filter((name) => name.startsWith(indexPrefix));
}

/** Endpoint handed to tenants: never the operator's own credentials. */
export function tenantOpenSearchUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}
