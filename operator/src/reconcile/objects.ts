import { createHash, randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  API_GROUP,
  AUTH_SECRET_KEYS,
  LABELS,
  MANAGED_BY,
  PART_OF,
  type SentimentPlatform,
} from '@sentiment/crds';
import { canonicalJson } from './compare.js';

/** The first admin of an operator-generated auth Secret; the same login the API's local mode creates. */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@sentiment.local';

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

/** The digest of what the operator last applied to a child, as the child's annotation. */
export const APPLIED_DIGEST_ANNOTATION = `${API_GROUP}/applied-digest`;

/**
 * The object with the digest of itself as an annotation. "Desired ⊆ live" alone cannot see a field the
 * operator stopped setting (a Deployment's replicas once hibernation ends, an annotation dropped from the
 * spec): the live object still has it, so nothing would be applied and server-side apply would never get
 * to remove it. With the digest in what is compared, any change to what we apply is a difference.
 */
export function withAppliedDigest<T extends KubernetesObject>(obj: T): T {
  const digest = createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 16);
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      annotations: { ...obj.metadata?.annotations, [APPLIED_DIGEST_ANNOTATION]: digest },
    },
  };
}

/** The children as the operator applies them: owned by the platform, carrying their applied digest. */
export function desiredObjects(
  platform: SentimentPlatform,
  objects: readonly KubernetesObject[],
): KubernetesObject[] {
  return objects.map((o) => withAppliedDigest(withOwner(o, platform)));
}

/**
 * A Secret the operator writes for a platform: `<name>-data` (component `data`) or `<name>-auth`
 * (component `auth`). `data` (base64), not `stringData`: stringData is write-only, so it never reads
 * back and would make every resync look like drift.
 */
export function platformSecret(
  platform: SentimentPlatform,
  secretName: string,
  component: 'data' | 'auth',
  values: Record<string, string>,
): KubernetesObject {
  const { name, namespace } = platform.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName,
      namespace,
      labels: {
        [LABELS.name]: 'sentiment-platform',
        [LABELS.instance]: name,
        [LABELS.component]: component,
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

/**
 * Fresh values for the auth Secret (the API has no default secrets): a 48-byte HS256 key (64 chars,
 * the API wants ≥ 32) and an 18-byte admin password (24 chars, the API wants ≥ 12).
 */
export function generateAuthValues(): Record<string, string> {
  return {
    [AUTH_SECRET_KEYS.jwtSecret]: randomBytes(48).toString('base64url'),
    [AUTH_SECRET_KEYS.adminEmail]: BOOTSTRAP_ADMIN_EMAIL,
    [AUTH_SECRET_KEYS.adminPassword]: randomBytes(18).toString('base64url'),
  };
}

export function decodeSecretData(secret: KubernetesObject): Record<string, string> {
  const data = (secret as { data?: Record<string, string> }).data ?? {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}
