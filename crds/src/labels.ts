// The well-known names shared by the operator (which stamps them) and the infra (which selects on them).
// Changing a value here is a breaking change for running clusters: Fargate profiles and pruning select on them.

export const API_GROUP = 'sentiment.analytics.dev';
export const API_VERSION = 'v1alpha1';
export const KIND = 'SentimentPlatform';
export const PLURAL = 'sentimentplatforms';
export const SHORT_NAME = 'sp';

/** Field manager for server-side apply: ours, never a borrowed one. */
export const FIELD_MANAGER = 'sentiment-operator';
export const FINALIZER = `${API_GROUP}/cleanup`;
/**
 * Set to "true" on a SentimentPlatform being deleted whose data cannot be cleaned up (a service down for
 * good, no admin access): the finalizer is released without touching the tenant's data, deliberately.
 */
export const SKIP_DATA_CLEANUP_ANNOTATION = `${API_GROUP}/skip-data-cleanup`;

/** Platforms labelled `<this>=canary` take a new operator template first (the fleet rollout). */
export const ROLLOUT_LABEL = `${API_GROUP}/rollout`;

export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  /** `<platform name>` on everything the operator creates; pruning selects on it. */
  platform: `${API_GROUP}/platform`,
  /** Where a pod must run; the infra's Fargate profiles select pods carrying `capacity=fargate`. */
  capacity: `${API_GROUP}/capacity`,
  /** Node-group label set by the infra on GPU nodes. */
  nodePool: `${API_GROUP}/node-pool`,
} as const;

export const PART_OF = 'sentiment-platform';
export const MANAGED_BY = 'sentiment-operator';

/** Value of LABELS.capacity that the Fargate profiles select on. */
export const FARGATE_CAPACITY_VALUE = 'fargate';
/** Tenant namespaces match this glob; the Fargate profile selectors use it. */
export const TENANT_NAMESPACE_GLOB = 'tenant-*';
/**
 * Set to "true" on tenant namespaces (the tenant chart does): in whole-cluster mode the operator chart's admission
 * policy refuses the operator's writes in any namespace without it.
 */
export const TENANT_NAMESPACE_LABEL = `${API_GROUP}/tenant`;
export const SYSTEM_NAMESPACE = 'sentiment-system';

/** EKS managed node groups label their nodes with this key (values ON_DEMAND | SPOT). */
export const EKS_CAPACITY_TYPE_LABEL = 'eks.amazonaws.com/capacityType';
export const NODE_POOLS = { general: 'general', gpu: 'gpu', system: 'system' } as const;

/**
 * Instance types the infra's GPU node groups offer (infra/src/config/environments.ts takes them from here),
 * g5.2xlarge first: an 8B model in fp16 fits one A10G either way, but 32 GiB of host RAM loads it safer.
 * Admission messages name only these.
 */
export const GPU_NODE_INSTANCE_TYPES = ['g5.2xlarge', 'g5.xlarge'] as const;

/** Taint on GPU nodes; GPU pods tolerate it and request the same-named extended resource. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
export const GPU_TAINT = { key: GPU_RESOURCE, value: 'true', effect: 'NoSchedule' } as const;

/** Annotation (on the tenant ServiceAccount) that EKS IRSA reads to give pods an IAM role. */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
