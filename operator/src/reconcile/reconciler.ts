// One reconcile of one SentimentPlatform: validate → provision data services → synth → apply what
// differs → prune leftovers → status. Reads come from the informer caches only, so a steady-state
// resync sends no request at all; every write is server-side apply with our own field manager. Each step
// lives in its own file (provision, auth-secret, apply, status-writer, finalize); this one orders them.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  FINALIZER,
  InvalidSpecError,
  authSecretName,
  checkPlatform,
  dataSecretName,
  type ResolvedSpec,
  type SentimentPlatform,
} from '@sentiment/crds';
import type { HandlerResult } from '../kube/workqueue.js';
import { failureLogFields } from '../tenancy/failure.js';
import { TenantConflictError } from '../tenancy/ownership.js';
import { DataServiceConfigError, type ProvisionResult } from '../tenancy/provisioner.js';
import { applyAll, prune } from './apply.js';
import { AuthSecrets } from './auth-secret.js';
import { findCondition } from './conditions.js';
import type { ReconcilerDeps, Synthesized } from './deps.js';
import type { BackupLocation } from '../synth/index.js';
import { finalize } from './finalize.js';
import { desiredObjects, platformSecret } from './objects.js';
import { TenantData } from './provision.js';
import type { ReconcileProblem } from './status.js';
import { StatusWriter, type StatusParts } from './status-writer.js';

export type { ClusterCapabilities, EstimateCost, ReconcilerDeps, Synthesize, Synthesized } from './deps.js';

export class Reconciler {
  private readonly tenantData: TenantData;
  private readonly authSecrets: AuthSecrets;
  private readonly statusWriter: StatusWriter;
  /** The generation whose spec warnings were last recorded as events, by platform key. */
  private readonly warnedGeneration = new Map<string, number>();

  constructor(private readonly deps: ReconcilerDeps) {
    this.tenantData = new TenantData(deps);
    this.authSecrets = new AuthSecrets(deps);
    this.statusWriter = new StatusWriter(deps);
  }

  async reconcile(key: string): Promise<HandlerResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const cached = this.deps.platforms.get(name, namespace);
    if (!cached) {
      this.forget(key);
      return;
    }
    if (cached.metadata.deletionTimestamp) {
      const result = await finalize(this.deps, this.statusWriter, cached);
      if (!result) this.forget(key);
      return result;
    }
    const platform = await this.ensureFinalizer(cached);
    const log = this.deps.log.child({ platform: key, generation: platform.metadata.generation });

    const verdict = checkPlatform(platform);
    if (!verdict.resolved) {
      await this.status(platform, {
        problem: { reason: 'InvalidSpec', message: verdict.problems.join('; ') },
      });
      return { terminal: { reason: 'InvalidSpec', message: verdict.problems.join('; ') } };
    }
    const resolved = verdict.resolved;
    await this.recordWarnings(key, platform, verdict.warnings);
    if (platform.spec.paused) {
      await this.reportOnly(platform, resolved, { paused: true });
      return;
    }
    const rollout = this.deps.fleet.rollout;
    if (rollout && !rollout.mayApply(platform)) {
      await this.reportOnly(platform, resolved, { held: rollout.holdReason() });
      return;
    }
    const cost = this.deps.estimateCost(resolved);

    let provision: ProvisionResult;
    try {
      provision = await this.tenantData.provision(platform, resolved);
    } catch (err) {
      const message = (err as Error).message;
      const reason =
        err instanceof DataServiceConfigError
          ? 'DataServicesNotConfigured'
          : err instanceof TenantConflictError
            ? 'TenantIdConflict'
            : 'DataServicesUnavailable';
      log.warn({ reason, ...failureLogFields(err) }, 'data services not ready');
      await this.status(platform, { resolved, cost, problem: { reason, message } });
      // Neither heals by retrying: the spec or the other platform must change (both requeue this one).
      if (err instanceof DataServiceConfigError || err instanceof TenantConflictError)
        return { terminal: { reason, message } };
      throw err;
    }

    let synthesized: Synthesized;
    try {
      synthesized = this.deps.synthesize(platform, resolved, this.deps.capabilities);
    } catch (err) {
      // What only the installation's settings decide (e.g. spec.backup without any bucket).
      if (!(err instanceof InvalidSpecError)) throw err;
      const problem = { reason: 'InvalidSpec' as const, message: err.problems.join('; ') };
      await this.status(platform, { resolved, cost, tenancy: provision.tenancy, problem });
      return { terminal: problem };
    }
    const desired = desiredObjects(platform, [
      ...synthesized.objects,
      ...(provision.provisioned.length > 0
        ? [platformSecret(platform, dataSecretName(name), 'data', provision.secretData)]
        : []),
    ]);
    // Created, never applied (auth-secret.ts); listed as kept so that prune leaves it. So is the last
    // restore's Job once it has finished (synth renders it only while it runs), for its logs.
    const kept = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: authSecretName(name), namespace } },
      ...(platform.status?.restore
        ? [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              metadata: { name: platform.status.restore.job, namespace },
            },
          ]
        : []),
    ];
    let problem: ReconcileProblem | undefined;
    try {
      // Before the CronJob and the restore Job: their pods assume it.
      await this.backupRole(platform, synthesized.backupLocation);
    } catch (err) {
      // The tenant is served all the same; only its backups wait for IAM.
      problem = { reason: 'BackupRoleFailed', message: (err as Error).message };
      log.warn({ err: problem.message }, 'backup role not ready');
    }
    try {
      // Before the Deployments: the API pods cannot start without it.
      await this.authSecrets.ensure(platform);
      await applyAll(this.deps, desired, log);
      await prune(this.deps, platform, [...desired, ...kept], log);
    } catch (err) {
      problem = { reason: 'ApplyFailed', message: (err as Error).message };
      log.error({ err: problem.message }, 'apply failed');
    }
    const status = await this.status(platform, {
      resolved,
      cost,
      tenancy: provision.tenancy,
      dataServicesReady: true,
      endpoints: synthesized.endpoints,
      ...(synthesized.backupLocation && { backupLocation: synthesized.backupLocation }),
      ...(synthesized.modelSeed && { modelSeed: synthesized.modelSeed }),
      ...(!problem && this.deps.fleet.revision && { templateRevision: this.deps.fleet.revision }),
      ...(problem && { problem }),
    });
    if (problem) throw new Error(problem.message);
    if (status.phase !== 'Ready' && status.phase !== 'Hibernated')
      return { requeueAfterMs: this.deps.notReadyRequeueMs };
  }

  /** The platform's own backup role, where the installation has them: there with backups, gone without. */
  private async backupRole(platform: SentimentPlatform, location: BackupLocation | undefined): Promise<void> {
    const roles = this.deps.backupRoles;
    if (!roles) return;
    if (location?.role) await roles.ensure(location.role);
    else await roles.removeFor(platform.metadata.namespace ?? '', platform.metadata.name);
  }

  /**
   * Status only (spec.paused, or held by the fleet rollout). What the last full reconcile established (data
   * services, endpoints, cost) is carried over, and the workloads' readiness is read afresh; nothing of the
   * tenant is written.
   */
  private async reportOnly(
    platform: SentimentPlatform,
    resolved: ResolvedSpec,
    why: Pick<StatusParts, 'paused' | 'held'>,
  ): Promise<void> {
    const before = platform.status;
    await this.status(platform, {
      resolved,
      ...why,
      dataServicesReady: findCondition(before?.conditions, 'DataServicesReady')?.status === 'True',
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

  private status(platform: SentimentPlatform, parts: StatusParts) {
    return this.statusWriter.write(platform, parts);
  }

  private forget(key: string): void {
    this.tenantData.forget(key);
    this.authSecrets.forget(key);
    this.statusWriter.forget(key);
    this.warnedGeneration.delete(key);
  }
}
