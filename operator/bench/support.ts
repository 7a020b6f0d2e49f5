// What the operator's benchmarks share: tenants given their data Secrets (tenancy is per-tenant database
// work, left to the integration tests), placed 50 to a namespace, and read back by listing.
import {
  API_GROUP,
  API_VERSION,
  PLURAL,
  type SentimentPlatform,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { custom, tempNamespace } from '../test/operator/harness.js';

export const PER_NAMESPACE = 50;

export const BYO_DATA: SentimentPlatformSpec['data'] = {
  postgres: { secretRef: { name: 'byo' } },
  redis: { secretRef: { name: 'byo' } },
  opensearch: { secretRef: { name: 'byo' } },
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function namespacesFor(prefix: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: Math.ceil(n / PER_NAMESPACE) }, (_, i) => tempNamespace(`${prefix}${i}`)),
  );
}

export const placements = (namespaces: string[], n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ns: namespaces[Math.floor(i / PER_NAMESPACE)]!,
    name: `p${String(i).padStart(String(n - 1).length, '0')}`,
  }));

export async function platforms(namespaces: string[]): Promise<SentimentPlatform[]> {
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      custom.listNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural: PLURAL,
      }),
    ),
  );
  return lists.flatMap((l) => (l as { items: SentimentPlatform[] }).items);
}
