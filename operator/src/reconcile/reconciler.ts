// One reconcile of one SentimentPlatform: validate → provision data services → synth → apply what
// differs → prune leftovers → status. Reads come from the informer caches only, so a steady-state
// resync sends no request at all; every write is server-side apply with our own field manager.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  FINALIZER,
  LABELS,
  SKIP_DATA_CLEANUP_ANNOTATION,
  authSecretName,
  checkPlatform,
  componentName,
  connectionLimit,
  dataSecretName,
  ingressMode,
  resolveSpec,
  type ComponentName,
  type CostEstimate,
  type ResolvedData,
  type ResolvedSpec,
  type SentimentPlatform,
  type SentimentPlatformStatus,
} from '@sentiment/crds';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { ObjectStore } from '../kube/informer.js';
import type { OperatorMetrics } from '../kube/metrics.js';
import { kindKey } from '../kube/resources.js';
import type { HandlerResult } from '../kube/workqueue.js';
import { failureLogFields } from '../tenancy/failure.js';
import { TenantConflictError, type TenantRef } from '../tenancy/ownership.js';
import {
  DataServiceConfigError,
  type ProvisionResult,
  type TenancyProvisioner,
} from '../tenancy/provisioner.js';
import { canonicalJson, isSubset } from './compare.js';
import { findCondition } from './conditions.js';
import {
  decodeSecretData,
  generateAuthValues,
  platformSecret,
  withAppliedDigest,
  withOwner,
} from './objects.js';
import {
  HIBERNATED_MESSAGE,
  PAUSED_MESSAGE,
  computeStatus,
  expectedComponents,
  type ReconcileProblem,
} from './status.js';

/** What the cluster serves beyond Kubernetes itself, found at start; synth writes only what it serves. */
export interface ClusterCapabilities {
  /** The Prometheus Operator's ServiceMonitor and PrometheusRule. */
  prometheusOperator: boolean;
}

export type Synthesize = (
  platform: SentimentPlatform,
  resolved: ResolvedSpec,
  capabilities: ClusterCapabilities,
) => KubernetesObject[];
export type EstimateCost = (resolved: ResolvedSpec) => CostEstimate;

export interface ReconcilerDeps {
  client: KubeClient;
  platforms: ObjectStore<SentimentPlatform & KubernetesObject>;
  /** Caches of every owned kind, by kindKey(apiVersion, kind). */
  children: ReadonlyMap<string, ObjectStore>;
  /** Filled in by the manager before the first reconcile. */
  capabilities: ClusterCapabilities;
  provisioner: TenancyProvisioner;
  synthesize: Synthesize;
  estimateCost: EstimateCost;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /**
   * How often a tenant's data services are re-asserted even though its Secret exists, and how often an
   * auth Secret outside the cache (the user's, without our label) is checked for again.
   */
  tenancyVerifyIntervalMs: number;
  /** Requeue while components are not ready, as a safety net besides child watch events. */
  notReadyRequeueMs: number;
  now?: () => Date;
}

export class Reconciler {
  /** When the tenant's data services were last provisioned, and for which connection limit. */
  private readonly lastVerified = new Map<string, { at: number; connections: number }>();
  /** When an auth Secret our cache does not show was last found to exist, by platform key. */
  private readonly authSecretFound = new Map<string, number>();
  /** The generation whose spec warnings were last recorded as events, by platform key. */
  private readonly warnedGeneration = new Map<string, number>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<HandlerResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const cached = this.deps.platforms.get(name, namespace);
    if (!cached) {
      this.forget(key);
      return;
    }
    if (cached.metadata.deletionTimestamp) return this.finalize(cached);
    const platform = await this.ensureFinalizer(cached);
    const log = this.deps.log.child({ platform: key, generation: platform.metadata.generation });

    const verdict = checkPlatform(platform);
    if (!verdict.resolved) {
      await this.writeStatus(platform, {
        problem: { reason: 'InvalidSpec', message: verdict.problems.join('; ') },
      });
      return { terminal: { reason: 'InvalidSpec', message: verdict.problems.join('; ') } };
    }
    const resolved = verdict.resolved;
    await this.recordWarnings(key, platform, verdict.warnings);
    if (platform.spec.paused) {
      await this.reportPaused(platform, resolved);
      return;
    }
    const cost = this.deps.estimateCost(resolved);

    let provision: ProvisionResult;
    try {
      provision = await this.provision(platform, resolved);
    } catch (err) {
      const message = (err as Error).message;
      const reason =
        err instanceof DataServiceConfigError
          ? 'DataServicesNotConfigured'
          : err instanceof TenantConflictError
            ? 'TenantIdConflict'
            : 'DataServicesUnavailable';
      log.warn({ reason, ...failureLogFields(err) }, 'data services not ready');
      await this.writeStatus(platform, { resolved, cost, problem: { reason, message } });
      // Neither heals by retrying: the spec or the other platform must change (both requeue this one).
      if (err instanceof DataServiceConfigError || err instanceof TenantConflictError)
        return { terminal: { reason, message } };
      throw err;
    }

    const desired = this.deps
      .synthesize(platform, resolved, this.deps.capabilities)
      .map((o) => withOwner(o, platform));
    if (provision.provisioned.length > 0) {
      desired.push(
        withOwner(platformSecret(platform, dataSecretName(name), 'data', provision.secretData), platform),
      );
    }
    // Created, never applied (see ensureAuthSecret); listed as kept so that prune leaves it.
    const authSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: authSecretName(name), namespace },
    };
    let problem: ReconcileProblem | undefined;
    try {
      // Before the Deployments: the API pods cannot start without it.
      await this.ensureAuthSecret(platform);
      await this.applyAll(desired, log);
      await this.prune(platform, [...desired, authSecret], log);
    } catch (err) {
      problem = { reason: 'ApplyFailed', message: (err as Error).message };
      log.error({ err: problem.message }, 'apply failed');
    }
    const status = await this.writeStatus(platform, {
      resolved,
      cost,
      tenancy: provision.tenancy,
      dataServicesReady: true,
      endpoints: endpointsOf(platform, resolved, desired),
      ...(problem && { problem }),
    });
    if (problem) throw new Error(problem.message);
    if (status.phase !== 'Ready' && status.phase !== 'Hibernated')
      return { requeueAfterMs: this.deps.notReadyRequeueMs };
  }

  /**
   * spec.paused: status only. What the last full reconcile established (data services, endpoints, cost)
   * is carried over, and the workloads' readiness is read afresh; nothing of the tenant is written.
   */
  private async reportPaused(platform: SentimentPlatform, resolved: ResolvedSpec): Promise<void> {
    const before = platform.status;
    await this.writeStatus(platform, {
      resolved,
      paused: true,
      dataServicesReady: findCondition(before?.conditions, 'DataServicesReady')?.status === 'True',
      ...(before?.tenancy && { tenancy: before.tenancy }),
      ...(before?.endpoints && { endpoints: before.endpoints }),
      cost: before?.estimatedMonthlyCost ?? this.deps.estimateCost(resolved),
    });
  }

  /**
   * Spec warnings (accepted, but probably not what the user meant) as Warning events, once per generation:
   * `kubectl describe` and `kubectl events` show them, and a resync does not repeat them.
   */
  private async recordWarnings(key: string, platform: SentimentPlatform, warnings: string[]): Promise<void> {
    const generation = platform.metadata.generation ?? 0;
    if (warnings.length === 0 || this.warnedGeneration.get(key) === generation) return;
    this.warnedGeneration.set(key, generation);
    for (const note of warnings) {
      await this.deps.events.record(platform as KubernetesObject, {
        type: 'Warning',
        reason: 'SpecWarning',
        action: 'Validate',
        note,
      });
    }
  }

  private async ensureFinalizer(platform: SentimentPlatform & KubernetesObject) {
    const finalizers = platform.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return platform;
    const patched = await this.deps.client.patchMetadata(platform, {
      finalizers: [...finalizers, FINALIZER],
    });
    return patched as SentimentPlatform & KubernetesObject;
  }

  /**
   * The API's signing key and first admin (the API always runs, so every platform has one), generated
   * once. Created, never applied: apply forces our values, and the cache holds only Secrets with our
   * managed-by label, so applying on a cache miss would overwrite a Secret the user brought, or rotate
   * ours while the watch lags behind our own create. A create answers 409 instead and changes nothing.
   */
  private async ensureAuthSecret(platform: SentimentPlatform): Promise<void> {
    const { namespace = '', name } = platform.metadata;
    const key = `${namespace}/${name}`;
    if (this.child('v1', 'Secret')?.get(authSecretName(name), namespace)) {
      this.authSecretFound.delete(key);
      return;
    }
    // Each attempt is a write request: a Secret known to exist outside the cache is not asked for
    // again until the interval passes, so a steady-state resync still writes nothing.
    const foundAt = this.authSecretFound.get(key);
    const now = Date.now();
    if (foundAt !== undefined && now - foundAt < this.deps.tenancyVerifyIntervalMs) return;
    const secret = withOwner(
      platformSecret(platform, authSecretName(name), 'auth', generateAuthValues()),
      platform,
    );
    let created = true;
    try {
      await this.deps.client.create(secret);
    } catch (err) {
      if (!isConflict(err)) throw err;
      created = false;
    }
    this.authSecretFound.set(key, now);
    if (created) {
      await this.deps.events.record(platform as KubernetesObject, {
        type: 'Normal',
        reason: 'AuthSecretCreated',
        action: 'Create',
        note: `generated the API's signing key and first admin login in Secret ${authSecretName(name)}`,
      });
    }
  }

  /** Provisions when the Secret is missing or incomplete, or the periodic re-assertion is due. */
  private async provision(platform: SentimentPlatform, resolved: ResolvedSpec): Promise<ProvisionResult> {
    const { namespace = '', name } = platform.metadata;
    const key = `${namespace}/${name}`;
    const secret = this.child('v1', 'Secret')?.get(dataSecretName(name), namespace);
    const existing = secret ? decodeSecretData(secret) : {};
    const known = this.deps.provisioner.fromExisting(namespace, name, resolved.data, existing);
    const verified = this.lastVerified.get(key);
    const now = Date.now();
    // Re-provisioned on schedule, and at once when the spec changes the tenant's connection limit.
    const connections = connectionLimit(resolved);
    if (
      known &&
      verified &&
      verified.connections === connections &&
      now - verified.at < this.deps.tenancyVerifyIntervalMs
    )
      return known;
    const result = await this.deps.provisioner.ensure(tenantRef(platform), resolved, existing);
    this.lastVerified.set(key, { at: now, connections });
    if (!known && result.provisioned.length > 0) {
      await this.deps.events.record(platform as KubernetesObject, {
        type: 'Normal',
        reason: 'DataServicesProvisioned',
        action: 'Provision',
        note: `provisioned ${result.provisioned.join(', ')} for the tenant (credentials in Secret ${dataSecretName(name)})`,
      });
    }
    return result;
  }

  private async applyAll(desired: KubernetesObject[], log: Logger): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      desired.map(withAppliedDigest).map(async (obj) => {
        const live = this.child(obj.apiVersion!, obj.kind!)?.get(
          obj.metadata!.name!,
          obj.metadata!.namespace,
        );
        if (live && isSubset(obj, live)) {
          this.deps.metrics.writesSkipped.inc();
          return;
        }
        try {
          await this.deps.client.apply(obj);
          log.debug({ kind: obj.kind, name: obj.metadata?.name, drift: !!live }, 'applied');
        } catch (err) {
          failures.push(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length) throw new Error(`could not apply ${failures.join('; ')}`);
  }

  /** Deletes objects this platform owns (label + controller owner reference) that are no longer desired. */
  private async prune(platform: SentimentPlatform, desired: KubernetesObject[], log: Logger): Promise<void> {
    const { namespace, name, uid } = platform.metadata;
    const wanted = new Set(desired.map((o) => `${kindKey(o.apiVersion!, o.kind!)}/${o.metadata!.name}`));
    const leftovers: KubernetesObject[] = [];
    for (const [kk, informer] of this.deps.children) {
      for (const obj of informer.list(namespace)) {
        if (obj.metadata?.labels?.[LABELS.platform] !== name) continue;
        if (!obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller)) continue;
        if (!wanted.has(`${kk}/${obj.metadata.name}`)) leftovers.push(obj);
      }
    }
    if (leftovers.length === 0) return;
    await Promise.all(leftovers.map((o) => this.deps.client.delete(o)));
    const names = leftovers.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
    log.info({ pruned: names }, 'pruned objects no longer desired');
    await this.deps.events.record(platform as KubernetesObject, {
      type: 'Normal',
      reason: 'Pruned',
      action: 'Prune',
      note: `deleted objects no longer in the spec: ${names}`,
    });
  }

  private async writeStatus(
    platform: SentimentPlatform,
    parts: Omit<Parameters<typeof computeStatus>[0], 'platform' | 'workloads' | 'now'>,
  ): Promise<SentimentPlatformStatus> {
    const { namespace = '', name } = platform.metadata;
    const workloads: Partial<Record<ComponentName, KubernetesObject | undefined>> = {};
    for (const c of parts.resolved ? expectedComponents(parts.resolved) : []) {
      const n = componentName(name, c);
      workloads[c] = this.child('apps/v1', 'Deployment')?.get(n, namespace);
    }
    const now = this.deps.now?.() ?? new Date();
    const status = computeStatus({ ...parts, platform, workloads, now });
    if (canonicalJson(status) === canonicalJson(platform.status ?? {})) return status;
    try {
      await this.deps.client.patchPlatformStatus(namespace, name, status);
    } catch (err) {
      if (isNotFound(err)) return status;
      throw err;
    }
    this.deps.metrics.platforms.inc({ phase: status.phase ?? 'Pending' });
    if (platform.status?.phase) this.deps.metrics.platforms.dec({ phase: platform.status.phase });
    await this.recordTransition(platform, status);
    return status;
  }

  private async recordTransition(
    platform: SentimentPlatform,
    status: SentimentPlatformStatus,
  ): Promise<void> {
    const before = findCondition(platform.status?.conditions, 'Degraded');
    const after = findCondition(status.conditions, 'Degraded');
    const ref = platform as KubernetesObject;
    if (after?.status === 'True' && (before?.status !== 'True' || before.message !== after.message)) {
      await this.deps.events.record(ref, {
        type: 'Warning',
        reason: after.reason,
        action: 'Reconcile',
        note: after.message,
      });
    }
    if (status.phase === 'Ready' && platform.status?.phase !== 'Ready') {
      await this.deps.events.record(ref, {
        type: 'Normal',
        reason: 'Ready',
        action: 'Reconcile',
        note: 'all components are ready',
      });
    }
    const paused = (conditions: SentimentPlatformStatus['conditions']) =>
      findCondition(conditions, 'Paused')?.status === 'True';
    if (paused(status.conditions) !== paused(platform.status?.conditions)) {
      await this.deps.events.record(ref, {
        type: 'Normal',
        reason: paused(status.conditions) ? 'Paused' : 'Resumed',
        action: 'Reconcile',
        note: paused(status.conditions)
          ? PAUSED_MESSAGE
          : 'spec.paused is off: the operator applies the spec again',
      });
    }
    if (status.phase === 'Hibernated' && platform.status?.phase !== 'Hibernated') {
      await this.deps.events.record(ref, {
        type: 'Normal',
        reason: 'Hibernated',
        action: 'Reconcile',
        note: HIBERNATED_MESSAGE,
      });
    }
    if (before?.status === 'True' && after?.status === 'False') {
      await this.deps.events.record(ref, {
        type: 'Normal',
        reason: 'Recovered',
        action: 'Reconcile',
        note: `recovered from ${before.reason}`,
      });
    }
  }

  /** On delete: clean up what owner references cannot reach, unless retained, then release the object. */
  private async finalize(platform: SentimentPlatform & KubernetesObject): Promise<HandlerResult | void> {
    const finalizers = platform.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    const { namespace = '', name } = platform.metadata;
    const data = bestEffortData(platform);
    const ref = platform as KubernetesObject;
    if (platform.metadata.annotations?.[SKIP_DATA_CLEANUP_ANNOTATION] === 'true') {
      await this.deps.events.record(ref, {
        type: 'Warning',
        reason: 'DataCleanupSkipped',
        action: 'Finalize',
        note: `${SKIP_DATA_CLEANUP_ANNOTATION} is set: the tenant's data was left as it is, removing it is the platform team's`,
      });
    } else {
      try {
        await this.cleanUpData(platform, data);
      } catch (err) {
        const provisioned = this.child('v1', 'Secret')?.get(dataSecretName(name), namespace) !== undefined;
        // No admin access and nothing was ever provisioned (no data Secret): there is nothing to clean up.
        if (!(err instanceof DataServiceConfigError && !provisioned)) {
          const message =
            `could not ${data.retainOnDelete ? 'release' : 'remove'} the tenant's data: ${(err as Error).message}. ` +
            `The SentimentPlatform stays until that succeeds; to delete it without touching its data, annotate it ${SKIP_DATA_CLEANUP_ANNOTATION}=true`;
          this.deps.log.warn(
            { platform: `${namespace}/${name}`, ...failureLogFields(err) },
            'cleanup failed',
          );
          await this.writeStatus(platform, { problem: { reason: 'CleanupFailed', message } });
          // Not retried hot without admin access: configuring it, or the annotation, is a change that requeues.
          if (err instanceof DataServiceConfigError)
            return { terminal: { reason: 'CleanupFailed', message } };
          throw err;
        }
      }
    }
    try {
      await this.deps.client.patchMetadata(platform, {
        finalizers: finalizers.filter((f) => f !== FINALIZER),
      });
    } catch (err) {
      // Already gone is fine; a conflict is thrown so the key is retried against the fresher cache.
      if (!isNotFound(err)) throw err;
    }
    this.forget(`${namespace}/${name}`);
    this.deps.log.info({ platform: `${namespace}/${name}`, retained: data.retainOnDelete }, 'finalized');
  }

  /** The tenant's data on delete: released for a later platform (retainOnDelete) or removed, with events. */
  private async cleanUpData(platform: SentimentPlatform, data: ResolvedData): Promise<void> {
    const ref = platform as KubernetesObject;
    if (data.retainOnDelete) {
      await this.deps.provisioner.release(tenantRef(platform), data);
      await this.deps.events.record(ref, {
        type: 'Normal',
        reason: 'DataRetained',
        action: 'Finalize',
        note: 'spec.data.retainOnDelete is true: the tenant database, Redis user and indices are kept, free for the next SentimentPlatform of this namespace and name',
      });
    } else {
      const { removed, notOwned } = await this.deps.provisioner.teardown(tenantRef(platform), data);
      if (removed.length) {
        await this.deps.events.record(ref, {
          type: 'Normal',
          reason: 'DataServicesCleanedUp',
          action: 'Finalize',
          note: `removed the tenant's ${removed.join(', ')}`,
        });
      }
      if (notOwned.length) {
        await this.deps.events.record(ref, {
          type: 'Warning',
          reason: 'DataNotOwned',
          action: 'Finalize',
          note: `left the ${notOwned.join(', ')} slice under this platform's tenant id alone: its owner record names another SentimentPlatform`,
        });
      }
    }
  }

  private forget(key: string): void {
    this.lastVerified.delete(key);
    this.authSecretFound.delete(key);
    this.warnedGeneration.delete(key);
  }

  private child(apiVersion: string, kind: string): ObjectStore | undefined {
    return this.deps.children.get(kindKey(apiVersion, kind));
  }
}

/** Deleting an object whose spec no longer validates must still clean up: fall back to the raw spec. */
function bestEffortData(platform: SentimentPlatform): ResolvedData {
  try {
    return resolveSpec(platform.spec).data;
  } catch {
    const d = platform.spec.data;
    const ref = (s?: { secretRef?: { name: string; key?: string } }, key = '') =>
      s?.secretRef ? { secretRef: { name: s.secretRef.name, key: s.secretRef.key ?? key } } : {};
    return {
      postgres: ref(d?.postgres),
      redis: ref(d?.redis),
      opensearch: {
        ...ref(d?.opensearch),
        ...(d?.opensearch?.endpoint && { endpoint: d.opensearch.endpoint }),
      },
      retainOnDelete: d?.retainOnDelete ?? false,
    };
  }
}

function tenantRef(platform: SentimentPlatform): TenantRef {
  const { namespace = '', name, uid = '' } = platform.metadata;
  return { namespace, name, uid };
}

function endpointsOf(
  platform: SentimentPlatform,
  resolved: ResolvedSpec,
  desired: KubernetesObject[],
): SentimentPlatformStatus['endpoints'] {
  const { name, namespace } = platform.metadata;
  const serviceUrl = (c: ComponentName) => {
    const svc = desired.find((o) => o.kind === 'Service' && o.metadata?.name === componentName(name, c)) as
      { spec?: { ports?: { port: number }[] } } | undefined;
    const port = svc?.spec?.ports?.[0]?.port;
    return port ? `http://${componentName(name, c)}.${namespace}.svc:${port}` : undefined;
  };
  const mode = ingressMode(resolved.ingress);
  const api =
    mode !== 'none' && resolved.ingress.host !== undefined
      ? `${mode}://${resolved.ingress.host}`
      : serviceUrl('api');
  const llm =
    resolved.llm.provider === 'self-hosted'
      ? serviceUrl('llm')
      : resolved.llm.provider === 'bedrock'
        ? `bedrock://${resolved.llm.bedrock.region}/${resolved.llm.bedrock.modelId}`
        : undefined;
  const ml = serviceUrl('ml');
  return { ...(api && { api }), ...(ml && { ml }), ...(llm && { llm }) };
}
