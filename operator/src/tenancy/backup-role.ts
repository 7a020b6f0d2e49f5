// The platforms' own backup roles in IAM (synth/backup-role.ts says what each must be). The operator may
// create roles only under BACKUP_ROLE_PATH with its installation's prefix and permissions boundary (the
// infra's policy), so whatever it writes here reaches no more than the backup bucket. Every write is
// idempotent; a role that exists without the operator's tag is someone else's and is left alone.
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
  type Role,
} from '@aws-sdk/client-iam';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../reconcile/compare.js';
import { backupRoleName, backupServiceAccountName } from '@sentiment/crds';
import { BACKUP_ROLE_POLICY_NAME, type TenantBackupRole, type TenantRolesOptions } from '../synth/index.js';
import { ExplainedError, awsCall, awsRefusal } from './failure.js';

/** The tag that marks a role as the operator's (its value: the platform's backup ServiceAccount). */
export const BACKUP_ROLE_TAG = 'sentiment.analytics.dev/backup-role-of';

export interface BackupRolesConfig {
  client: IAMClient;
  /** The installation's per-tenant role settings (the same the synth gets). */
  roles: TenantRolesOptions;
  /** How long a role found as wanted is trusted without asking IAM again (default 10 min). */
  verifyIntervalMs?: number;
  now?: () => number;
}

/** Ensures and removes platforms' backup roles; remembers what it last made sure of, so a resync costs nothing. */
export class BackupRoles {
  private readonly verified = new Map<string, { digest: string | null; at: number }>();

  constructor(private readonly config: BackupRolesConfig) {}

  /** The role exists as `role` describes it: trust, boundary, the one inline policy. */
  async ensure(role: TenantBackupRole): Promise<void> {
    const digest = createHash('sha256').update(canonicalJson(role)).digest('hex');
    if (this.fresh(role.name, digest)) return;
    const { client } = this.config;
    const trust = JSON.stringify(role.trustPolicy);
    let existing = await this.get(role.name);
    if (existing && !owned(existing, role)) throw notOurs(role.name);
    // A boundary or path cannot be changed with what the operator may do: the role is made anew.
    if (
      existing &&
      (existing.PermissionsBoundary?.PermissionsBoundaryArn !== role.permissionsBoundaryArn ||
        existing.Path !== role.path)
    ) {
      await this.delete(role.name);
      existing = undefined;
    }
    if (!existing) {
      await refused(`create the backup role ${role.name}`, () =>
        client.send(
          new CreateRoleCommand({
            RoleName: role.name,
            Path: role.path,
            AssumeRolePolicyDocument: trust,
            PermissionsBoundary: role.permissionsBoundaryArn,
            Description: `Backups of one SentimentPlatform: assumed by ${role.serviceAccount.namespace}/${role.serviceAccount.name} only`,
            MaxSessionDuration: 3600,
            Tags: [{ Key: BACKUP_ROLE_TAG, Value: tagValue(role) }],
          }),
        ),
      );
    } else if (!sameDocument(existing.AssumeRolePolicyDocument, role.trustPolicy)) {
      await refused(`update the trust of the backup role ${role.name}`, () =>
        client.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: trust })),
      );
    }
    await refused(`write the policy of the backup role ${role.name}`, () =>
      client.send(
        new PutRolePolicyCommand({
          RoleName: role.name,
          PolicyName: BACKUP_ROLE_POLICY_NAME,
          PolicyDocument: JSON.stringify(role.policy),
        }),
      ),
    );
    // Only our policy: one written by hand would widen the role (within the boundary) unseen.
    for (const name of await this.policyNames(role.name))
      if (name !== BACKUP_ROLE_POLICY_NAME) await this.deletePolicy(role.name, name);
    this.verified.set(role.name, { digest, at: this.now() });
  }

  /**
   * The platform's role is gone (the platform was deleted, or no longer has backups). `force` asks IAM even
   * when this process last saw it gone; without it, a platform without backups costs one request per interval.
   * True when there was a role to delete.
   */
  async removeFor(namespace: string, platform: string, force = false): Promise<boolean> {
    const role = {
      name: backupRoleName(this.config.roles.namePrefix, namespace, platform),
      serviceAccount: { namespace, name: backupServiceAccountName(platform) },
    };
    if (!force && this.fresh(role.name, null)) return false;
    const existing = await this.get(role.name);
    if (existing) {
      if (!owned(existing, role)) throw notOurs(role.name);
      await this.delete(role.name);
    }
    this.verified.set(role.name, { digest: null, at: this.now() });
    return existing !== undefined;
  }

  private fresh(name: string, digest: string | null): boolean {
    const last = this.verified.get(name);
    return (
      last !== undefined &&
      last.digest === digest &&
      this.now() - last.at < (this.config.verifyIntervalMs ?? 600_000)
    );
  }

  private now(): number {
    return this.config.now?.() ?? Date.now();
  }

  private async get(name: string): Promise<Role | undefined> {
    try {
      return (await this.config.client.send(new GetRoleCommand({ RoleName: name }))).Role;
    } catch (err) {
      if (err instanceof NoSuchEntityException) return undefined;
      throw refusal(`read the backup role ${name}`, err);
    }
  }

  private async policyNames(name: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const out = await refused(`list the policies of the backup role ${name}`, () =>
        this.config.client.send(new ListRolePoliciesCommand({ RoleName: name, Marker: marker })),
      );
      names.push(...(out.PolicyNames ?? []));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return names;
  }

  private async deletePolicy(role: string, policy: string): Promise<void> {
    try {
      await this.config.client.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policy }));
    } catch (err) {
      if (!(err instanceof NoSuchEntityException))
        throw refusal(`delete the policy ${policy} of ${role}`, err);
    }
  }

  /** IAM deletes a role only without inline policies. */
  private async delete(name: string): Promise<void> {
    for (const policy of await this.policyNames(name)) await this.deletePolicy(name, policy);
    try {
      await this.config.client.send(new DeleteRoleCommand({ RoleName: name }));
    } catch (err) {
      if (!(err instanceof NoSuchEntityException)) throw refusal(`delete the backup role ${name}`, err);
    }
  }
}

const tagValue = (role: Pick<TenantBackupRole, 'serviceAccount'>): string =>
  `${role.serviceAccount.namespace}/${role.serviceAccount.name}`;

function owned(existing: Role, role: Pick<TenantBackupRole, 'serviceAccount'>): boolean {
  return existing.Tags?.some((t) => t.Key === BACKUP_ROLE_TAG && t.Value === tagValue(role)) ?? false;
}

function notOurs(name: string): Error {
  return new ExplainedError(
    `IAM role ${name} exists but is not this platform's backup role (no ${BACKUP_ROLE_TAG} tag naming it); the operator leaves it alone: delete or rename it`,
  );
}

/** IAM returns policy documents URL-encoded, with its own spacing: compared as parsed JSON. */
function sameDocument(encoded: string | undefined, wanted: unknown): boolean {
  if (!encoded) return false;
  try {
    return canonicalJson(JSON.parse(decodeURIComponent(encoded))) === canonicalJson(wanted);
  } catch {
    return false;
  }
}

const refused = <T>(what: string, fn: () => Promise<T>): Promise<T> => awsCall('IAM', what, fn);
const refusal = (what: string, err: unknown): Error => awsRefusal('IAM', what, err);
