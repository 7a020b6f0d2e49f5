// Writing a platform's status (computed afresh by computeStatus) and the events its transitions deserve.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  backupCronJobName,
  componentName,
  type ComponentName,
  type SentimentPlatform,
  type SentimentPlatformStatus,
} from '@sentiment/crds';
import { isNotFound } from '../kube/client.js';
import { restoreJobFor } from './backup-status.js';
import { canonicalJson } from './compare.js';
import { findCondition } from './conditions.js';
import { childStore, type ReconcilerDeps } from './deps.js';
import {
  HIBERNATED_MESSAGE,
  PAUSED_MESSAGE,
  computeStatus,
  expectedComponents,
  type StatusInput,
} from './status.js';

type StatusDeps = Pick<ReconcilerDeps, 'client' | 'children' | 'metrics' | 'events' | 'now'>;

/** What a reconcile knows for status; the workloads are read from the cache here. */
export type StatusParts = Omit<
  StatusInput,
  'platform' | 'workloads' | 'now' | 'backupCronJob' | 'restoreJob' | 'modelSeedJob'
>;

/**
 * Writes status when it differs from the last one known. The last known is what this writer wrote last,
 * not the cache's copy: the cache may not have seen that write yet, and comparing with it would skip a
 * needed write (a Deployment that settled just after a status went out would leave it at Progressing).
 * The operator is the status' only writer.
 */
export class StatusWriter {
  private readonly written = new Map<string, { uid: string | undefined; status: SentimentPlatformStatus }>();

  constructor(private readonly deps: StatusDeps) {}

  async write(cached: SentimentPlatform, parts: StatusParts): Promise<SentimentPlatformStatus> {
    const { deps } = this;
    const { namespace = '', name } = cached.metadata;
    const key = `${namespace}/${name}`;
    const known = this.written.get(key);
    // Only for the same object: a platform deleted and made again under the name starts afresh.
    const platform =
      known && known.uid === cached.metadata.uid ? { ...cached, status: known.status } : cached;
    const workloads: Partial<Record<ComponentName, KubernetesObject | undefined>> = {};
    for (const c of parts.resolved ? expectedComponents(parts.resolved) : []) {
      const n = componentName(name, c);
      workloads[c] = childStore(deps, 'apps/v1', 'Deployment')?.get(n, namespace);
    }
    const now = deps.now?.() ?? new Date();
    const restoreJob = restoreJobFor(name, parts.resolved);
    const status = computeStatus({
      ...parts,
      platform,
      workloads,
      ...(parts.resolved?.backup && {
        backupCronJob: childStore(deps, 'batch/v1', 'CronJob')?.get(backupCronJobName(name), namespace),
      }),
      ...(restoreJob && { restoreJob: childStore(deps, 'batch/v1', 'Job')?.get(restoreJob, namespace) }),
      ...(parts.modelSeed && {
        modelSeedJob: childStore(deps, 'batch/v1', 'Job')?.get(parts.modelSeed.job, namespace),
      }),
      now,
    });
    if (canonicalJson(status) === canonicalJson(platform.status ?? {})) return status;
    try {
      await deps.client.patchPlatformStatus(namespace, name, status);
    } catch (err) {
      if (isNotFound(err)) return status;
      throw err;
    }
    this.written.set(key, { uid: cached.metadata.uid, status });
    deps.metrics.platforms.inc({ phase: status.phase ?? 'Pending' });
    if (platform.status?.phase) deps.metrics.platforms.dec({ phase: platform.status.phase });
    await recordTransition(deps, platform, status);
    return status;
  }

  forget(key: string): void {
    this.written.delete(key);
  }
}

async function recordTransition(
  deps: StatusDeps,
  platform: SentimentPlatform,
  status: SentimentPlatformStatus,
): Promise<void> {
  const before = findCondition(platform.status?.conditions, 'Degraded');
  const after = findCondition(status.conditions, 'Degraded');
  const ref = platform as KubernetesObject;
  if (after?.status === 'True' && (before?.status !== 'True' || before.message !== after.message)) {
    await deps.events.record(ref, {
      type: 'Warning',
      reason: after.reason,
      action: 'Reconcile',
      note: after.message,
    });
  }
  if (status.phase === 'Ready' && platform.status?.phase !== 'Ready') {
    await deps.events.record(ref, {
      type: 'Normal',
      reason: 'Ready',
      action: 'Reconcile',
      note: 'all components are ready',
    });
  }
  const paused = (conditions: SentimentPlatformStatus['conditions']) =>
    findCondition(conditions, 'Paused')?.status === 'True';
  if (paused(status.conditions) !== paused(platform.status?.conditions)) {
    await deps.events.record(ref, {
      type: 'Normal',
      reason: paused(status.conditions) ? 'Paused' : 'Resumed',
      action: 'Reconcile',
      note: paused(status.conditions)
        ? PAUSED_MESSAGE
        : 'spec.paused is off: the operator applies the spec again',
    });
  }
  if (status.phase === 'Hibernated' && platform.status?.phase !== 'Hibernated') {
    await deps.events.record(ref, {
      type: 'Normal',
      reason: 'Hibernated',
      action: 'Reconcile',
      note: HIBERNATED_MESSAGE,
    });
  }
  if (before?.status === 'True' && after?.status === 'False') {
    await deps.events.record(ref, {
      type: 'Normal',
      reason: 'Recovered',
      action: 'Reconcile',
      note: `recovered from ${before.reason}`,
    });
  }
}

/** On delete: clean up what owner references cannot reach, unless retained, then release the object. */
