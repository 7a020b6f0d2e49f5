// The backup image's contract (workloads/backup) with the operator, which runs it as a CronJob (backups)
// and as the first step of a restore Job: its arguments, its environment, and where a tenant's backups
// live in the bucket. A tenant's database is dumped with pg_dump's custom format, one object per backup.
import { createHash } from 'node:crypto';
import { platformDigest } from './tenancy.js';

/** Arguments of the backup image: dump the tenant's database to S3, or restore one dump into it. */
export const BACKUP_ARGS = ['backup'] as const;
export const RESTORE_ARGS = ['restore'] as const;

/** The API image rebuilds the tenant's search index from its database when started with this. */
export const REINDEX_ARGS = ['reindex'] as const;

/**
 * Environment of the backup image, besides DATABASE_URL (the tenant's, from its Secret), AWS_REGION and
 * the AWS SDK's own (AWS_ENDPOINT_URL, the IRSA or Pod Identity variables EKS injects) and libpq's
 * PGSSLROOTCERT (the data services' CA bundle, or `system`).
 */
export const BACKUP_ENV = {
  bucket: 'BACKUP_BUCKET',
  /** The tenant's key prefix (backupPrefix()); every object the image writes, lists or deletes is under it. */
  prefix: 'BACKUP_PREFIX',
  /** backup: how many of the newest backups to keep after a successful one (older ones are deleted). */
  retain: 'BACKUP_RETAIN',
  /** restore: the object key to restore (under the prefix), or `latest`. */
  key: 'BACKUP_KEY',
} as const;

/**
 * The backup image's exit code when the dump is safely in S3 but retention failed (an old backup could not
 * be deleted). The CronJob's Job fails at once on it (podFailurePolicy FailJob) instead of retrying, as a
 * retry would dump and upload the whole database again, and again, while retention keeps failing.
 */
export const BACKUP_RETENTION_FAILED_EXIT = 3;

/** A daily backup at 03:17 UTC (off the hour, when schedulers pile up), a week of them kept. */
export const DEFAULT_BACKUP = { schedule: '17 3 * * *', timeZone: 'Etc/UTC', retain: 7 } as const;

/** BACKUP_KEY's value that restores the newest backup under the prefix. */
export const LATEST_BACKUP = 'latest';

/** Suffix of a backup object's key; only keys with it count as backups (for `latest` and retention). */
export const BACKUP_SUFFIX = '.pgdump';

/**
 * A tenant's prefix in the bucket: its namespace (the unit IAM policies can scope with EKS Pod Identity's
 * `kubernetes-namespace` session tag) and its opaque tenant id, so a platform re-created under the same
 * name finds the backups of the one before it.
 */
export function backupPrefix(namespace: string, tenantId: string): string {
  return `${namespace}/${tenantId}/`;
}

/** A backup's name (its key without the prefix) as backupKey() makes it, or LATEST_BACKUP. */
export const BACKUP_NAME_PATTERN = `^(${LATEST_BACKUP}|[0-9]{8}T[0-9]{6}Z\\${BACKUP_SUFFIX})$`;

/** A CronJob schedule: five fields, or one of the macros the CronJob controller knows. */
export const CRON_PATTERN = '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\S+\\s+){4}\\S+)$';

/** The key of a backup taken at `at`: sortable by time as text (UTC, to the second). */
export function backupKey(prefix: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${prefix}${stamp}${BACKUP_SUFFIX}`;
}

/** What identifies a spec.restore: a restore runs once per value (status.restore.request). */
export function restoreRequest(restore: { backup: string; requestId?: string }): string {
  return restore.requestId ? `${restore.backup}#${restore.requestId}` : restore.backup;
}

/** The CronJob of a platform's scheduled backups. */
export const backupCronJobName = (platform: string): string => `${platform}-backup`;

/** The Job of one restore request: a new request is a new Job (a Job's pod template is immutable). */
export function restoreJobName(platform: string, request: string): string {
  return `${platform}-restore-${createHash('sha256').update(request).digest('hex').slice(0, 8)}`;
}

/**
 * The ServiceAccount of a platform's backup and restore pods when the operator manages per-tenant backup
 * roles: its own, so only these pods (not the API or the workers) can write or delete the tenant's backups.
 */
export const backupServiceAccountName = (platform: string): string => `${platform}-backup`;

/**
 * Per-tenant backup roles (operator flags --backup-role-*, chart `backup.tenantRoles`, written by the infra):
 * for each platform with backups the operator creates an IAM role under this path that only the platform's
 * backup ServiceAccount can assume (IRSA) and that reaches only the platform's prefix, capped by the
 * installation's permissions boundary. The operator may create roles only under the path, with the boundary.
 */
export const BACKUP_ROLE_PATH = '/sentiment-tenant-backups/';

/** IAM role names are at most 64 characters; the platform's digest takes 32 of them. */
export const BACKUP_ROLE_PREFIX_PATTERN = '^[A-Za-z0-9+=,.@_-]{1,32}$';

/** The name of a platform's backup role: the installation's prefix and the platform's digest (no names). */
export function backupRoleName(prefix: string, namespace: string, platform: string): string {
  if (!new RegExp(BACKUP_ROLE_PREFIX_PATTERN).test(prefix))
    throw new Error(`backup role prefix ${JSON.stringify(prefix)}: must match ${BACKUP_ROLE_PREFIX_PATTERN}`);
  return `${prefix}${platformDigest(namespace, platform).slice(0, 32)}`;
}

/**
 * What the backup image does in S3, as IAM actions: on objects under the tenant's prefix (multipart uploads,
 * HeadObject, retention's deletes) and, on the bucket, listing that prefix (`latest`, retention). A tenant
 * role grants these on its prefix only; the infra's permissions boundary grants the same on the bucket.
 */
export const BACKUP_OBJECT_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
] as const;
export const BACKUP_BUCKET_ACTIONS = ['s3:ListBucket'] as const;
