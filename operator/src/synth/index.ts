// synth: a SentimentPlatform in, the Kubernetes objects that realise it out. Pure — no I/O, no clock,
// no randomness — so the same object always gives byte-identical YAML, and `render`, the reconcile
// loop and the tests all see the same thing.
import { App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import {
  checkPlatform,
  DEFAULT_NAMESPACE,
  InvalidSpecError,
  platformTenantIdentity,
  runningSpec,
  scaledToZero,
  type ResolvedSpec,
  type SentimentPlatform,
  type TenantNamingSource,
} from '@sentiment/crds';
import { canonicalize } from './canonical.js';
import { api } from './api.js';
import { backupLocation, backups, restoring, type BackupLocation } from './backup.js';
import type { SynthContext, SynthOptions } from './context.js';
import { dataCa } from './data-ca.js';
import { dataEnv } from './data-env.js';
import { platformEndpoints } from './endpoints.js';
import { withDefaultImages } from './images.js';
import { objectLabels } from './labels.js';
import { llm } from './llm.js';
import { ml } from './ml.js';
import { cachedModel, modelSeed, type ModelSeed } from './model-cache.js';
import { monitoring } from './monitoring.js';
import { networkPolicies } from './network.js';
import { configData, configDigest, platformConfigMap, platformServiceAccount } from './platform.js';
import { tenantLimits } from './tenant.js';
import { worker } from './worker.js';
import { workerScaling } from './worker-scaling.js';

export type { SynthOptions } from './context.js';
export { backupLocation, locationUrl, restoring, type BackupLocation, type BackupOptions } from './backup.js';
export {
  BACKUP_ROLE_POLICY_NAME,
  parseOidcProviderArn,
  type PolicyDocument,
  type TenantBackupRole,
  type TenantRolesOptions,
} from './backup-role.js';
export { DEFAULT_PROMETHEUS_NAMESPACE, type MonitoringOptions } from './monitoring.js';
export { cachedModel, modelSeedJobName, type ModelCacheOptions, type ModelSeed } from './model-cache.js';

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface SynthResult {
  objects: KubeObject[];
  /** Non-fatal advice (e.g. Bedrock without an IAM role), for status conditions and the CLI. */
  warnings: string[];
}

export { DEFAULT_NAMESPACE };

/**
 * The objects of a platform. Throws InvalidSpecError (with the admission rules' messages) when the
 * spec cannot be built, e.g. a self-hosted LLM on Fargate.
 */
export function synthesize(
  platform: Pick<SentimentPlatform, 'metadata' | 'spec' | 'status'>,
  options: SynthOptions = {},
): SynthResult {
  const verdict = checkPlatform({ metadata: platform.metadata, spec: platform.spec ?? {} });
  if (!verdict.resolved) throw new InvalidSpecError(verdict.problems);
  return {
    objects: synthesizeResolved(platform, verdict.resolved, options),
    warnings: verdict.warnings,
  };
}

/**
 * The objects of a platform whose spec the caller already checked and resolved (checkPlatform):
 * the reconcile loop does, to put the same verdict in status.
 */
export function synthesizeResolved(
  platform: SynthSource,
  resolved: ResolvedSpec,
  options: SynthOptions = {},
): KubeObject[] {
  return build(platform, resolved, options).objects;
}

type SynthSource = TenantNamingSource & { metadata: { uid?: string }; status?: SentimentPlatform['status'] };

function build(
  platform: SynthSource,
  resolved: ResolvedSpec,
  options: SynthOptions,
): { objects: KubeObject[]; location?: BackupLocation; seed?: ModelSeed } {
  const awake = withDefaultImages(resolved, options.defaultImages);
  // A pending restore holds every workload at zero, as hibernation does (backup.ts).
  const restore = restoring(awake, platform.status);
  const spec = restore ? scaledToZero(awake) : runningSpec(awake);
  const { metadata } = platform;
  const name = metadata.name;
  const namespace = metadata.namespace ?? DEFAULT_NAMESPACE;
  const tenant = platformTenantIdentity(platform);
  const location = backupLocation(spec, { namespace, platform: name, tenantId: tenant.id }, options.backup);

  const app = new App();
  const chart = new Chart(app, name, { namespace, labels: objectLabels(name, 'platform') });
  const data = configData(name, namespace, spec, tenant, options, metadata.uid);
  const ctx: SynthContext = {
    chart,
    name,
    namespace,
    spec,
    serviceAccount: platformServiceAccount(chart, name, spec),
    configMap: platformConfigMap(chart, name, data),
    // The CA is read at process start: a new bundle rolls the pods like a config change.
    configDigest: configDigest({
      ...data,
      ...(options.dataServicesCa && { dataServicesCa: options.dataServicesCa }),
    }),
  };
  const ca = dataCa(ctx, options.dataServicesCa);
  const env = { ...dataEnv(ctx), ...ca.env };
  api(ctx, env, ca.mounts, options.ingressGroup);
  workerScaling(ctx, worker(ctx, env, ca.mounts), tenant, options);
  backups(ctx, restore, location, env, ca.mounts, options);
  ml(ctx);
  // Decided once: the LLM pod, its seed Job, the Job's NetworkPolicy and the status all follow from it.
  const cached = cachedModel(spec, options.modelCache);
  const llmPod = llm(ctx, options, cached);
  networkPolicies(ctx, { modelSeed: cached !== undefined });
  if (options.monitoring) monitoring(ctx, options.monitoring);
  tenantLimits(awake, chart, name, llmPod);
  return {
    objects: canonicalize(chart.toJson() as KubeObject[]),
    ...(location && { location }),
    ...(cached && { seed: modelSeed(name, cached) }),
  };
}

/** The objects of a platform and the endpoints they serve (status.endpoints), as the reconciler needs both. */
export function synthesizePlatform(
  platform: SynthSource,
  resolved: ResolvedSpec,
  options: SynthOptions = {},
): {
  objects: KubeObject[];
  endpoints: ReturnType<typeof platformEndpoints>;
  backupLocation?: BackupLocation;
  modelSeed?: ModelSeed;
} {
  const { name, namespace = DEFAULT_NAMESPACE } = platform.metadata;
  const { objects, location, seed } = build(platform, resolved, options);
  return {
    objects,
    endpoints: platformEndpoints(name, namespace, resolved),
    ...(location && { backupLocation: location }),
    ...(seed && { modelSeed: seed }),
  };
}

/**
 * The synth options for what the cluster serves (the operator's discovery at start): a ServiceMonitor and a
 * PrometheusRule per tenant where the Prometheus Operator is installed, the worker's ScaledObject where KEDA is.
 */
export function capabilityOptions(
  capabilities: { prometheusOperator: boolean; keda: boolean },
  prometheusNamespace: string,
): SynthOptions {
  return {
    ...(capabilities.prometheusOperator && { monitoring: { prometheusNamespace } }),
    ...(capabilities.keda && { keda: true }),
  };
}

/** Multi-document YAML, as `kubectl apply -f` and GitOps tools read it. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
