import type { KubernetesObject } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY, PART_OF, dataSecretName, type SentimentPlatform } from '@sentiment/crds';

/** The child with a controller owner reference to its platform (garbage collection, and prune's proof of ownership). */
export function withOwner<T extends KubernetesObject>(obj: T, platform: SentimentPlatform): T {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      ownerReferences: [
        {
          apiVersion: platform.apiVersion,
          kind: platform.kind,
          name: platform.metadata.name,
          uid: platform.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}

/**
 * The tenant's data Secret. `data` (base64), not `stringData`: stringData is write-only, so it never
 * reads back and would make every resync look like drift.
 */
export function dataSecret(platform: SentimentPlatform, values: Record<string, string>): KubernetesObject {
  const { name, namespace } = platform.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: dataSecretName(name),
      namespace,
      labels: {
        [LABELS.name]: 'sentiment-platform',
        [LABELS.instance]: name,
        [LABELS.component]: 'data',
        [LABELS.partOf]: PART_OF,
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.platform]: name,
      },
    },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(values)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  } as KubernetesObject;
}

export function decodeSecretData(secret: KubernetesObject): Record<string, string> {
  const data = (secret as { data?: Record<string, string> }).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}
