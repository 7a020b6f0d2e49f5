// A platform's own backup role (when the installation has per-tenant backup roles, chart
// `backup.tenantRoles`): assumable through IRSA by the platform's backup ServiceAccount only, reaching only
// the platform's prefix, capped by the installation's permissions boundary. Pure: synth annotates the
// ServiceAccount with its ARN, tenancy/backup-role.ts makes IAM match it.
import {
  BACKUP_BUCKET_ACTIONS,
  BACKUP_OBJECT_ACTIONS,
  BACKUP_ROLE_PATH,
  backupRoleName,
  backupServiceAccountName,
} from '@sentiment/crds';

/** The installation's settings for per-tenant backup roles (the --backup-role-* flags). */
export interface TenantRolesOptions {
  /** Prefix of every role name (BACKUP_ROLE_PREFIX_PATTERN): the installation's, so several can share an account. */
  namePrefix: string;
  /** The managed policy every role gets as its permissions boundary. */
  permissionsBoundaryArn: string;
  /** The cluster's IAM OIDC provider, which the roles trust (IRSA). */
  oidcProviderArn: string;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: {
    Sid?: string;
    Effect: 'Allow';
    Principal?: { Federated: string };
    Action: string | string[];
    Resource?: string;
    Condition?: Record<string, Record<string, string | string[]>>;
  }[];
}

export interface TenantBackupRole {
  name: string;
  path: string;
  arn: string;
  permissionsBoundaryArn: string;
  /** The only ServiceAccount that may assume it (namespace/name). */
  serviceAccount: { namespace: string; name: string };
  trustPolicy: PolicyDocument;
  /** The role's one inline policy (BACKUP_ROLE_POLICY_NAME). */
  policy: PolicyDocument;
}

/** The name of the role's inline policy. */
export const BACKUP_ROLE_POLICY_NAME = 'tenant-backups';

const OIDC_PROVIDER_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):oidc-provider\/(\S+)$/;

/** The partition, account and issuer (host/path, no scheme) of an IAM OIDC provider's ARN. */
export function parseOidcProviderArn(arn: string): { partition: string; account: string; issuer: string } {
  const m = OIDC_PROVIDER_ARN.exec(arn);
  if (!m)
    throw new Error(
      `${JSON.stringify(arn)} is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)`,
    );
  return { partition: m[1]!, account: m[2]!, issuer: m[3]! };
}

export function tenantBackupRole(o: {
  namespace: string;
  platform: string;
  bucket: string;
  prefix: string;
  roles: TenantRolesOptions;
}): TenantBackupRole {
  const { partition, account, issuer } = parseOidcProviderArn(o.roles.oidcProviderArn);
  const name = backupRoleName(o.roles.namePrefix, o.namespace, o.platform);
  const serviceAccount = { namespace: o.namespace, name: backupServiceAccountName(o.platform) };
  const bucketArn = `arn:${partition}:s3:::${o.bucket}`;
  return {
    name,
    path: BACKUP_ROLE_PATH,
    arn: `arn:${partition}:iam::${account}:role${BACKUP_ROLE_PATH}${name}`,
    permissionsBoundaryArn: o.roles.permissionsBoundaryArn,
    serviceAccount,
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: o.roles.oidcProviderArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          // Exactly this ServiceAccount's tokens, issued for STS: not the tenant's other pods.
          Condition: {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
              [`${issuer}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    },
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TenantBackupObjects',
          Effect: 'Allow',
          Action: [...BACKUP_OBJECT_ACTIONS],
          Resource: `${bucketArn}/${o.prefix}*`,
        },
        {
          Sid: 'TenantBackupListing',
          Effect: 'Allow',
          Action: [...BACKUP_BUCKET_ACTIONS],
          Resource: bucketArn,
          Condition: { StringLike: { 's3:prefix': [`${o.prefix}*`] } },
        },
      ],
    },
  };
}
