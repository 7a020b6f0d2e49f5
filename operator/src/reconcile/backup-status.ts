// status.backup and status.restore: read off the backup CronJob and the restore Job the cache holds.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  restoreJobName,
  restoreRequest,
  type BackupStatus,
  type ResolvedSpec,
  type RestoreStatus,
} from '@sentiment/crds';
import { locationUrl, type BackupLocation } from '../synth/index.js';

interface JobShape {
  status?: {
    startTime?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  };
}
interface CronJobShape {
  status?: { lastScheduleTime?: string; lastSuccessfulTime?: string };
}

export function backupStatus(
  resolved: ResolvedSpec | undefined,
  location: BackupLocation | undefined,
  cronJob: KubernetesObject | undefined,
): BackupStatus | undefined {
  if (!resolved?.backup || !location) return undefined;
  const s = (cronJob as CronJobShape | undefined)?.status;
  return {
    location: locationUrl(location),
    ...(location.role && { role: location.role.arn }),
    ...(s?.lastScheduleTime && { lastScheduleTime: s.lastScheduleTime }),
    ...(s?.lastSuccessfulTime && { lastSuccessfulTime: s.lastSuccessfulTime }),
  };
}

/** The Job that serves the platform's current spec.restore (restoreJobName()), if any. */
export function restoreJobFor(platform: string, resolved: ResolvedSpec | undefined): string | undefined {
  return resolved?.restore && restoreJobName(platform, restoreRequest(resolved.restore));
}

/**
 * The restore's progress. A finished restore (Succeeded or Failed) of the same request is final: its Job
 * may be gone (pruned, or deleted by hand) and a re-created Job must not restart it. Without spec.restore
 * the last restore stays on record.
 */
export function restoreStatus(
  platform: string,
  resolved: ResolvedSpec | undefined,
  prior: RestoreStatus | undefined,
  job: KubernetesObject | undefined,
  now: Date,
): RestoreStatus | undefined {
  if (!resolved?.restore) return prior;
  const request = restoreRequest(resolved.restore);
  const name = restoreJobName(platform, request);
  const same = prior?.request === request ? prior : undefined;
  if (same && same.phase !== 'Running') return same;
  const startedAt = same?.startedAt ?? (job as JobShape | undefined)?.status?.startTime ?? now.toISOString();
  const condition = (type: string) =>
    (job as JobShape | undefined)?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const complete = condition('Complete');
  if (complete)
    return {
      request,
      phase: 'Succeeded',
      job: name,
      startedAt,
      completedAt: complete.lastTransitionTime ?? now.toISOString(),
      message: `restored backup ${resolved.restore.backup} and rebuilt the search index`,
    };
  const failed = condition('Failed');
  if (failed)
    return {
      request,
      phase: 'Failed',
      job: name,
      startedAt,
      completedAt: failed.lastTransitionTime ?? now.toISOString(),
      message: `restore job ${name} failed (${failed.reason ?? 'Failed'}: ${failed.message ?? 'no message'}); the workloads stay at zero: see \`kubectl logs job/${name} --all-containers\`, then change spec.restore.requestId to try again or remove spec.restore`,
    };
  return {
    request,
    phase: 'Running',
    job: name,
    startedAt,
    message: `restoring backup ${resolved.restore.backup}, then rebuilding the search index (job ${name}); the workloads are at zero until it completes`,
  };
}
