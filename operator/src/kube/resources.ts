import { API_GROUP, API_VERSION, KIND, PLURAL } from '@sentiment/crds';

/** A kind the operator watches: enough to build its REST path without discovery requests. */
export interface ResourceKind {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const PLATFORM_KIND: ResourceKind = {
  apiVersion: `${API_GROUP}/${API_VERSION}`,
  kind: KIND,
  plural: PLURAL,
};

/**
 * Every namespaced kind the synth may emit, plus the Secrets the reconciler writes itself. Pruning and drift
 * detection watch exactly these, and the operator chart grants exactly these (charts/test/operator-rbac.test.ts
 * fails when this list, synth's output and the chart's RBAC differ).
 */
export const OWNED_KINDS: readonly ResourceKind[] = [
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas' },
  { apiVersion: 'v1', kind: 'LimitRange', plural: 'limitranges' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
];

/**
 * The Prometheus Operator's kinds, written per tenant only where the cluster serves them (the manager
 * asks discovery at start); granted by the chart like the owned kinds.
 */
export const MONITORING_KINDS: readonly ResourceKind[] = [
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', plural: 'prometheusrules' },
];

/**
 * KEDA's kinds, for the worker's queue-driven autoscaler: written only where the cluster serves them (the
 * manager asks discovery at start, unless --worker-scaling is off); granted by the chart like the owned kinds.
 */
export const KEDA_KINDS: readonly ResourceKind[] = [
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', plural: 'triggerauthentications' },
];

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

const byKey = new Map(
  [...OWNED_KINDS, ...MONITORING_KINDS, ...KEDA_KINDS].map((k) => [kindKey(k.apiVersion, k.kind), k]),
);

export function ownedKind(apiVersion: string, kind: string): ResourceKind | undefined {
  return byKey.get(kindKey(apiVersion, kind));
}

/** REST collection path of a kind, in one namespace or across all of them. */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}

/** REST path of the objects in one namespace of a kind the operator knows (owned, monitoring, KEDA, SentimentPlatform). */
export function namespacedPath(apiVersion: string, kind: string, namespace: string): string {
  const k =
    kindKey(apiVersion, kind) === kindKey(PLATFORM_KIND.apiVersion, PLATFORM_KIND.kind)
      ? PLATFORM_KIND
      : ownedKind(apiVersion, kind);
  if (!k) throw new Error(`${apiVersion} ${kind} is not a kind the operator manages; add it to OWNED_KINDS`);
  return collectionPath(k, namespace);
}

/** REST path of one object of a kind the operator knows. */
export function objectPath(apiVersion: string, kind: string, namespace: string, name: string): string {
  return `${namespacedPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
}
