// Status is computed, never accumulated: a pure function of the platform, what was resolved and
// provisioned, and the children the cache holds. Argo CD sees only the parent, so children's health is
// rolled up here (Ready / Progressing / Degraded plus one condition per component).
import {
  llmReplicaRange,
  llmSummary,
  type ComponentName,
  type ComponentStatus,
  type CostEstimate,
  type Phase,
  type ResolvedSpec,
  type SentimentPlatform,
  type SentimentPlatformStatus,
  type TenancyStatus,
} from '@sentiment/crds';
import type { KubernetesObject } from '@kubernetes/client-node';
import { restoring as isRestoring, type BackupLocation, type ModelSeed } from '../synth/index.js';
import { backupStatus, restoreStatus } from './backup-status.js';
import { mergeConditions, type ConditionInput } from './conditions.js';

/** Why a reconcile could not complete; shown as Degraded with this reason and message. */
export interface ReconcileProblem {
  reason:
    | 'InvalidSpec'
    | 'DataServicesUnavailable'
    | 'DataServicesNotConfigured'
    | 'TenantIdConflict'
    | 'CleanupFailed'
    | 'ApplyFailed'
    | 'BackupRoleFailed'
    | 'RestoreFailed';
  message: string;
}

export interface StatusInput {
  platform: SentimentPlatform;
  resolved?: ResolvedSpec;
  problem?: ReconcileProblem;
  /**
   * Undefined when provisioning was not reached (e.g. invalid spec): the status keeps what it recorded,
   * which also fixes the naming of the tenant's slices (tenantNaming()).
   */
  tenancy?: TenancyStatus;
  dataServicesReady?: boolean;
  /** Live workload of each expected component (undefined: not created yet). */
  workloads: Partial<Record<ComponentName, KubernetesObject | undefined>>;
  endpoints?: SentimentPlatformStatus['endpoints'];
  cost?: CostEstimate;
  /** spec.paused: nothing was applied; the status reports what runs. */
  paused?: boolean;
  /** Held by the fleet rollout: nothing was applied (the operator's new template waits); why. */
  held?: { reason: 'WaitingForRollout' | 'RolloutHalted'; message: string };
  /** The template applied in full by this reconcile; otherwise the status keeps the one it recorded. */
  templateRevision?: string;
  /** Where the backups are (spec.backup), and the live CronJob and restore Job. */
  backupLocation?: BackupLocation;
  backupCronJob?: KubernetesObject;
  restoreJob?: KubernetesObject;
  /** The self-hosted LLM's model cache seed, and its live Job. */
  modelSeed?: ModelSeed;
  modelSeedJob?: KubernetesObject;
  now: Date;
}

const CONDITION_OF: Record<ComponentName, string> = {
  api: 'ApiReady',
  worker: 'WorkerReady',
  ml: 'MlReady',
  llm: 'LlmReady',
};

export function expectedComponents(resolved: ResolvedSpec): ComponentName[] {
  return resolved.llm.provider === 'self-hosted' ? ['api', 'worker', 'ml', 'llm'] : ['api', 'worker', 'ml'];
}

interface WorkloadShape {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
  };
}

/** Scaled to zero and settled: the controller saw replicas 0 and no pod of it is left running. */
function atZero(workload: KubernetesObject): boolean {
  const w = workload as WorkloadShape;
  const observed = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  return observed && w.spec?.replicas === 0 && (w.status?.replicas ?? 0) === 0;
}

/**
 * A Deployment/StatefulSet is ready when its controller saw the current spec and enough replicas are
 * ready: its own count, and for an autoscaled one at least the autoscaler's minimum (a new Deployment
 * starts at one replica until its HPA's first sync raises it).
 */
export function componentStatus(workload: KubernetesObject, minReplicas = 0): ComponentStatus {
  const w = workload as WorkloadShape;
  const desired = Math.max(w.spec?.replicas ?? 1, minReplicas);
  const readyReplicas = w.status?.readyReplicas ?? 0;
  const observed = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  return { ready: observed && readyReplicas >= desired, desired, readyReplicas };
}

export const HIBERNATED_MESSAGE =
  'spec.hibernate is true: every workload is at zero replicas and the data is kept; set it to false to wake the tenant';
export const PAUSED_MESSAGE =
  'spec.paused is true: the operator applies nothing, repairs no drift and provisions nothing; it only reports status';

/** Problems that are the data services' condition's own reason. */
const DATA_PROBLEMS = new Set<ReconcileProblem['reason']>([
  'DataServicesUnavailable',
  'DataServicesNotConfigured',
  'TenantIdConflict',
]);

export function computeStatus(input: StatusInput): SentimentPlatformStatus {
  const { platform, resolved, now } = input;
  const generation = platform.metadata.generation;
  const tenancy = input.tenancy ?? platform.status?.tenancy;
  const templateRevision = input.templateRevision ?? platform.status?.templateRevision;
  const conditions: ConditionInput[] = [];
  const components: SentimentPlatformStatus['components'] = {};
  const notReady: string[] = [];

  const restore = restoreStatus(
    platform.metadata.name,
    resolved,
    platform.status?.restore,
    input.restoreJob,
    now,
  );
  const backup = backupStatus(resolved, input.backupLocation, input.backupCronJob);
  // Synth's own test (it holds the workloads at zero), against the restore's progress as of now.
  const restoring = resolved !== undefined && isRestoring(resolved, restore && { restore });
  const problem: ReconcileProblem | undefined =
    input.problem ??
    (resolved?.restore && restore?.phase === 'Failed'
      ? { reason: 'RestoreFailed', message: restore.message ?? 'the restore failed' }
      : undefined);
  // Hibernating or restoring, "ready" means scaled to zero with no pod left.
  const hibernating = resolved?.hibernate === true;
  const asleep = hibernating || restoring;
  const zeroReason = hibernating ? 'Hibernated' : 'Restoring';
  const zeroWhy = hibernating ? 'spec.hibernate' : 'restoring the database';
  for (const name of resolved ? expectedComponents(resolved) : []) {
    const live = input.workloads[name];
    const status = live ? componentStatus(live, asleep ? 0 : minReady(resolved!, name)) : undefined;
    if (status) components[name] = status;
    const settled = asleep ? live !== undefined && atZero(live) : (status?.ready ?? false);
    if (!settled) notReady.push(name);
    conditions.push({
      type: CONDITION_OF[name],
      status: settled && !asleep ? 'True' : 'False',
      reason: !live
        ? 'NotCreated'
        : asleep
          ? settled
            ? zeroReason
            : 'ScalingToZero'
          : settled
            ? 'ReplicasReady'
            : 'ReplicasNotReady',
      message: !live
        ? `${name} workload not created yet`
        : asleep && settled
          ? `scaled to zero (${zeroWhy})`
          : `${status!.readyReplicas}/${status!.desired} replicas ready`,
    });
  }

  const dataReady = input.dataServicesReady === true;
  conditions.push({
    type: 'DataServicesReady',
    status: dataReady ? 'True' : 'False',
    reason: dataReady
      ? 'Provisioned'
      : problem && DATA_PROBLEMS.has(problem.reason)
        ? problem.reason
        : 'NotProvisioned',
    message: dataReady
      ? describeTenancy(tenancy)
      : problem && DATA_PROBLEMS.has(problem.reason)
        ? problem.message
        : 'data services are provisioned after the spec is valid',
  });

  const settled = !problem && dataReady && notReady.length === 0 && !restoring;
  const ready = settled && !asleep;
  const hibernated = settled && hibernating;
  if (resolved?.restore && restore) {
    conditions.push({
      type: 'Restored',
      status: restore.phase === 'Succeeded' ? 'True' : 'False',
      reason: `Restore${restore.phase}`,
      message: restore.message ?? restore.phase,
    });
  }
  conditions.push({
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready
      ? 'AllComponentsReady'
      : hibernated
        ? 'Hibernated'
        : problem
          ? problem.reason
          : restoring
            ? 'Restoring'
            : 'ComponentsNotReady',
    message: ready
      ? 'all components are ready'
      : hibernated
        ? HIBERNATED_MESSAGE
        : problem
          ? problem.message
          : restoring
            ? (restore?.message ?? 'restoring')
            : `waiting for ${notReady.join(', ') || 'data services'}`,
  });
  const waitingFor = restoring
    ? (restore?.message ?? 'restoring')
    : `${asleep ? 'scaling to zero' : 'not ready'}: ${notReady.join(', ') || 'data services'}`;
  conditions.push({
    type: 'Progressing',
    status: !problem && !settled && !input.paused ? 'True' : 'False',
    reason: problem
      ? 'Blocked'
      : settled
        ? 'Converged'
        : input.paused
          ? 'Paused'
          : restoring
            ? 'Restoring'
            : asleep
              ? 'ScalingToZero'
              : 'RollingOut',
    message: problem
      ? 'progress is blocked; see Degraded'
      : settled
        ? 'desired state reached'
        : input.paused
          ? `paused; ${waitingFor}`
          : waitingFor,
  });
  if (input.modelSeed) conditions.push(modelCachedCondition(platform, input.modelSeed, input.modelSeedJob));
  if (input.paused) {
    conditions.push({
      type: 'Paused',
      status: 'True',
      reason: 'SpecPaused',
      message: PAUSED_MESSAGE,
    });
  }
  if (input.held) {
    conditions.push({ type: 'RolloutPending', status: 'True', ...input.held });
  }
  conditions.push({
    type: 'Degraded',
    status: problem ? 'True' : 'False',
    reason: problem ? problem.reason : 'AsExpected',
    message: problem ? problem.message : 'no problems',
  });

  const phase: Phase = platform.metadata.deletionTimestamp
    ? 'Deleting'
    : problem
      ? 'Degraded'
      : ready
        ? 'Ready'
        : hibernated
          ? 'Hibernated'
          : 'Progressing';

  return {
    observedGeneration: generation,
    phase,
    ...(resolved && { profile: resolved.profile, llm: llmSummary(resolved.llm) }),
    conditions: mergeConditions(platform.status?.conditions, conditions, generation, now),
    ...(Object.keys(components).length > 0 && { components }),
    ...(input.endpoints && Object.keys(input.endpoints).length > 0 && { endpoints: input.endpoints }),
    ...(input.cost && { estimatedMonthlyCost: input.cost }),
    ...(tenancy && Object.keys(tenancy).length > 0 && { tenancy }),
    ...(templateRevision && { templateRevision }),
    ...(backup && { backup }),
    ...(restore && { restore }),
  };
}

/**
 * The fewest ready replicas a component counts as ready with: its autoscaler's minimum, else its replicas.
 * Read from the spec rather than the live Deployment, which may still be at zero from a restore or
 * hibernation that has just ended (zero would read as ready before a pod runs).
 */
function minReady(resolved: ResolvedSpec, name: ComponentName): number {
  if (name === 'llm')
    return resolved.llm.provider === 'self-hosted' ? llmReplicaRange(resolved.llm.selfHosted).min : 0;
  const c = resolved[name];
  return c.autoscaling.enabled ? c.autoscaling.min : c.replicas;
}

function describeTenancy(t: TenancyStatus | undefined): string {
  const parts = [
    t?.database && `database ${t.database}`,
    t?.redisUser && `redis user ${t.redisUser}`,
    t?.opensearchIndexPrefix && `index prefix ${t.opensearchIndexPrefix}`,
  ].filter(Boolean);
  return parts.length ? `provisioned ${parts.join(', ')}` : 'all data services are brought by the tenant';
}

interface JobShape {
  status?: { succeeded?: number; conditions?: { type: string; status: string; message?: string }[] };
}

/**
 * ModelCached: whether the seed Job has put the LLM's model in the cache, which the LLM pods wait for (their
 * init container). Informational: the LLM's own condition carries readiness.
 */
function modelCachedCondition(
  platform: StatusInput['platform'],
  seed: ModelSeed,
  job: KubernetesObject | undefined,
): ConditionInput {
  const s = (job as JobShape | undefined)?.status;
  const logs = `kubectl logs -n ${platform.metadata.namespace ?? ''} job/${seed.job}`;
  if ((s?.succeeded ?? 0) > 0)
    return {
      type: 'ModelCached',
      status: 'True',
      reason: 'Seeded',
      message: `${seed.model} is in ${seed.location}`,
    };
  const failed = s?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed)
    return {
      type: 'ModelCached',
      status: 'False',
      reason: 'SeedFailed',
      message: `the seed Job ${seed.job} failed (${failed.message ?? 'no message'}); its log: ${logs}. The LLM pods keep waiting for ${seed.location}`,
    };
  return {
    type: 'ModelCached',
    status: 'False',
    reason: 'Seeding',
    message: `Job ${seed.job} copies ${seed.model} from the Hugging Face Hub into ${seed.location} (a model another tenant seeded ends it at once); the LLM pods wait for it. Progress: ${logs}`,
  };
}
