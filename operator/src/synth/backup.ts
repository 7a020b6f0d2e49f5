// Backups and restores of the tenant's database (spec.backup, spec.restore). The backup image
// (workloads/backup) runs pg_dump/pg_restore against the tenant's database with the tenant's own URL and
// reaches S3 with the pods' IAM identity: with per-tenant backup roles (backup-role.ts), a ServiceAccount
// of their own whose role reaches only the tenant's prefix; without, the tenant ServiceAccount's IRSA role.
// The operator holds no S3 credentials. The search index is derived data:
// a restore rebuilds it from the restored database (the API image's reindex role) instead of backing it up.
import { ApiObject, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BACKUP_ARGS,
  BACKUP_ENV,
  BACKUP_RETENTION_FAILED_EXIT,
  DATA_CA,
  DEFAULT_IMAGES,
  ENV,
  InvalidSpecError,
  LATEST_BACKUP,
  REINDEX_ARGS,
  RESTORE_ARGS,
  backupCronJobName,
  backupPrefix,
  restoreJobName,
  restoreRequest,
  type ResolvedSpec,
  type SentimentPlatformStatus,
} from '@sentiment/crds';
import { tenantBackupRole, type TenantBackupRole, type TenantRolesOptions } from './backup-role.js';
import type { SynthContext } from './context.js';
import { objectLabels } from './labels.js';
import { irsaServiceAccount } from './platform.js';
import {
  awsSdkEnv,
  finishPlatformPod,
  literalEnv,
  platformPodProps,
  restrictedSecurityContext,
} from './pod.js';
import { containerResources } from './resources.js';

/** The operator's backup settings (its --backup-* flags). */
export interface BackupOptions {
  /** The bucket of every tenant whose spec names none. */
  bucket?: string;
  /** AWS_REGION of the backup pods; unset, the IRSA webhook's default region applies. */
  region?: string;
  /** AWS_ENDPOINT_URL of the backup pods (an S3/STS VPC endpoint, or a stand-in). */
  endpointUrl?: string;
  /** Per-tenant backup roles; unset, the backup pods use the tenant ServiceAccount's role. */
  tenantRoles?: TenantRolesOptions;
}

export interface BackupLocation {
  bucket: string;
  prefix: string;
  /** The platform's own backup role, when the installation has per-tenant roles. */
  role?: TenantBackupRole;
}

/** Where the tenant's backups are, when it has backups or a restore; throws when no bucket is known. */
export function backupLocation(
  spec: ResolvedSpec,
  target: { namespace: string; platform: string; tenantId: string },
  options: BackupOptions = {},
): BackupLocation | undefined {
  if (!spec.backup && !spec.restore) return undefined;
  const section = `spec.${spec.backup ? 'backup' : 'restore'}`;
  const bucket = spec.backup?.bucket ?? options.bucket;
  if (!bucket)
    throw new InvalidSpecError([
      `${section}: no S3 bucket for backups: set spec.backup.bucket, or the operator's --backup-bucket`,
    ]);
  const roles = options.tenantRoles;
  // The roles' permissions boundary reaches the installation's bucket only: another one would be refused
  // by S3 at the first backup, long after the apply; say it now.
  if (roles && options.bucket && bucket !== options.bucket)
    throw new InvalidSpecError([
      `spec.backup.bucket ${bucket}: this installation's per-tenant backup roles reach only its bucket ${options.bucket}; remove spec.backup.bucket`,
    ]);
  const prefix = backupPrefix(target.namespace, target.tenantId);
  return {
    bucket,
    prefix,
    ...(roles && {
      role: tenantBackupRole({
        namespace: target.namespace,
        platform: target.platform,
        bucket,
        prefix,
        roles,
      }),
    }),
  };
}

/** The backup pods' ServiceAccount: the platform's backup role's own, or the tenant's. */
function backupServiceAccount(ctx: SynthContext, role: TenantBackupRole | undefined): kplus.IServiceAccount {
  if (!role) return ctx.serviceAccount;
  return irsaServiceAccount(ctx.chart, 'backup-service-account', {
    name: role.serviceAccount.name,
    labels: objectLabels(ctx.name, 'backup'),
    roleArn: role.arn,
  });
}

export const locationUrl = (l: BackupLocation): string => `s3://${l.bucket}/${l.prefix}`;

/**
 * True while spec.restore asks for a restore that has not succeeded yet: the workloads stay at zero, so
 * nothing writes to the database pg_restore replaces, and after a failure nothing serves the old data
 * as if it were the restored one.
 */
export function restoring(spec: ResolvedSpec, status: SentimentPlatformStatus | undefined): boolean {
  if (!spec.restore) return false;
  const last = status?.restore;
  return last?.request !== restoreRequest(spec.restore) || last.phase !== 'Succeeded';
}

/** A cron schedule as cdk8s' Cron (its props take no raw string); macros as their five fields. */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
function cron(schedule: string): Cron {
  const [minute, hour, day, month, weekDay] = (MACROS[schedule] ?? schedule).trim().split(/\s+/);
  return Cron.schedule({ minute, hour, day, month, weekDay });
}

/** The backup image's container: the tenant's database URL, libpq's CA, the bucket and the AWS endpoint. */
function backupContainer(
  ctx: SynthContext,
  name: string,
  args: readonly string[],
  location: BackupLocation,
  env: Record<string, kplus.EnvValue>,
  mounts: kplus.VolumeMount[],
  options: SynthBackupOptions,
  extra: Record<string, string>,
): kplus.ContainerProps {
  // Of the data services, only the database: the backup image reaches nothing else.
  const own = Object.fromEntries(
    [ENV.databaseUrl, DATA_CA.env].flatMap((k) => (env[k] ? [[k, env[k]] as const] : [])),
  );
  const values: Record<string, string> = {
    [BACKUP_ENV.bucket]: location.bucket,
    [BACKUP_ENV.prefix]: location.prefix,
    // libpq verifies the server with the data services' CA when the installation has one, else the system's.
    PGSSLROOTCERT: mounts.length > 0 ? `${DATA_CA.mountPath}/${DATA_CA.key}` : 'system',
    ...awsSdkEnv(options.backup ?? {}),
    ...extra,
  };
  return {
    name,
    image: options.defaultImages?.backup ?? DEFAULT_IMAGES.backup,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: [...args],
    envVariables: {
      ...own,
      ...literalEnv(values),
    },
    volumeMounts: [...mounts],
    // pg_dump streams; memory is the upload's part buffers (lib-storage: 4 × 5 MiB) plus Node.
    resources: {
      cpu: { request: kplus.Cpu.millis(100) },
      memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
    },
    securityContext: restrictedSecurityContext(),
  };
}

/** What backups need of the options besides BackupOptions: the installation's image references. */
export interface SynthBackupOptions {
  backup?: BackupOptions;
  defaultImages?: { backup?: string };
}

/**
 * The CronJob of spec.backup and, while `restore` (a restore is pending: restoring()), the Job of
 * spec.restore. `env` and `mounts` are the data services' (the tenant's URLs and the CA), as the worker
 * gets them. A finished restore's Job is no longer rendered; the reconciler keeps it for its logs.
 */
export function backups(
  ctx: SynthContext,
  restore: boolean,
  location: BackupLocation | undefined,
  env: Record<string, kplus.EnvValue>,
  mounts: kplus.VolumeMount[],
  options: SynthBackupOptions,
): void {
  const { spec } = ctx;
  if (!location) return;
  const capacity = spec.worker.capacity;
  const serviceAccount = backupServiceAccount(ctx, location.role);
  if (spec.backup) {
    const component = 'backup';
    const cronJob = new kplus.CronJob(ctx.chart, 'backup', {
      metadata: { name: backupCronJobName(ctx.name), labels: objectLabels(ctx.name, component) },
      ...platformPodProps(ctx, component, capacity),
      serviceAccount,
      schedule: cron(spec.backup.schedule),
      timeZone: spec.backup.timeZone,
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      // A hibernated tenant's data does not change: its newest backups stay the newest.
      suspend: spec.backup.suspend || spec.hibernate,
      // A schedule missed by less than this (the controller down, the cluster busy) still runs.
      startingDeadline: Duration.hours(1),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      backoffLimit: 2,
      activeDeadline: Duration.hours(6),
      containers: [
        backupContainer(ctx, 'backup', BACKUP_ARGS, location, env, mounts, options, {
          [BACKUP_ENV.retain]: String(spec.backup.retain),
        }),
      ],
    });
    finishPlatformPod(ctx, cronJob, {
      component,
      capacity,
      templatePath: '/spec/jobTemplate/spec/template',
    });
    // The dump is in S3 and only retention failed: a retry would dump and upload it all again.
    ApiObject.of(cronJob).addJsonPatch(
      JsonPatch.add('/spec/jobTemplate/spec/podFailurePolicy', {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: { containerName: 'backup', operator: 'In', values: [BACKUP_RETENTION_FAILED_EXIT] },
          },
        ],
      }),
    );
  }
  if (spec.restore && restore) {
    const component = 'restore';
    const request = restoreRequest(spec.restore);
    const pod = platformPodProps(ctx, component, capacity);
    const job = new kplus.Job(ctx.chart, 'restore', {
      metadata: { name: restoreJobName(ctx.name, request), labels: objectLabels(ctx.name, component) },
      ...pod,
      serviceAccount,
      // A Job's pod template is immutable: without the config digest, a config change while it runs
      // does not make the apply fail.
      podMetadata: { labels: pod.podMetadata.labels },
      // One retry: pg_restore runs in one transaction and the rebuild starts from scratch, so a retry
      // repeats no half-done work; more would hide a real failure for long.
      backoffLimit: 1,
      activeDeadline: Duration.hours(6),
      // pg_restore first (an init container), then the search index is rebuilt from what it restored.
      initContainers: [
        backupContainer(ctx, 'restore', RESTORE_ARGS, location, env, mounts, options, {
          [BACKUP_ENV.key]:
            spec.restore.backup === LATEST_BACKUP
              ? LATEST_BACKUP
              : `${location.prefix}${spec.restore.backup}`,
        }),
      ],
      containers: [
        {
          name: 'reindex',
          image: spec.worker.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [...REINDEX_ARGS],
          envFrom: [kplus.Env.fromConfigMap(ctx.configMap)],
          envVariables: env,
          volumeMounts: [...mounts],
          resources: containerResources(spec.worker.resources),
          securityContext: restrictedSecurityContext(),
        },
      ],
    });
    finishPlatformPod(ctx, job, { component, capacity, templatePath: '/spec/template' });
  }
}
