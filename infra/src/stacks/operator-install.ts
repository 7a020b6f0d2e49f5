import {
  BACKUP_ROLE_PATH,
  BACKUP_ROLE_PREFIX_PATTERN,
  LABELS,
  NODE_POOLS,
  SYSTEM_NAMESPACE,
} from '@sentiment/crds';
import { ArnFormat, Stack, type StackProps } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';
import { acknowledge, nagPseudo, wildcard } from '../nag.js';
import type { DataStack } from './data.js';

export interface OperatorInstallStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly cluster: eks.Cluster;
  readonly data: DataStack;
  readonly tenantBedrockRole: iam.IRole;
  /** Directory of the operator's Helm chart (charts/sentiment-operator); shipped as an S3 asset. */
  readonly chartDir: string;
  /** Origin of the dashboard SPA (the Frontend stack's CloudFront address) that every tenant API allows (CORS). */
  readonly dashboardOrigin: string;
}

export const OPERATOR_RELEASE = 'sentiment-operator';
/** ElastiCache user IDs the operator may manage: every tenant's (tenantIdentity().elastiCacheUserId) and only those. */
export const TENANT_REDIS_USER_IDS = 't-*';

/**
 * The name prefix of an environment's per-tenant backup roles (chart `backup.tenantRoles.namePrefix`): the
 * operator may create and manage roles under BACKUP_ROLE_PATH whose names start with it, and no others. Throws
 * when it does not fit BACKUP_ROLE_PREFIX_PATTERN (a role name is the prefix and a 32-character digest).
 */
export function tenantBackupRolePrefix(environment: string): string {
  const prefix = `sentiment-${environment}-`;
  if (!new RegExp(BACKUP_ROLE_PREFIX_PATTERN).test(prefix))
    throw new Error(
      `tenant backup role name prefix ${JSON.stringify(prefix)} (environment ${JSON.stringify(environment)}) ` +
        `must match ${BACKUP_ROLE_PREFIX_PATTERN}: at most 32 characters, letters, digits and +=,.@_- only; ` +
        'choose a shorter environment name',
    );
  return prefix;
}

/**
 * Installs the operator chart and gives the operator's ServiceAccount (IRSA) exactly what tenancy provisioning
 * needs: read the shared services' admin secrets (OpenSearch is reached as an FGAC user, not through IAM),
 * manage the tenants' ElastiCache users and their membership of the shared user group, and manage the tenants'
 * backup roles, each of which it may create or give a policy only with the backup permissions boundary.
 */
export class OperatorInstallStack extends Stack {
  readonly serviceAccount: eks.ServiceAccount;

  constructor(scope: Construct, id: string, props: OperatorInstallStackProps) {
    super(scope, id, props);
    const { cluster, data, config } = props;

    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster,
      manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }],
    });
    // The ServiceAccount is created here rather than by the chart so that its IRSA annotation and the IAM
    // role are one unit; the chart is told not to create its own.
    this.serviceAccount = new eks.ServiceAccount(this, 'OperatorServiceAccount', {
      cluster,
      name: OPERATOR_RELEASE,
      namespace: SYSTEM_NAMESPACE,
    });
    this.serviceAccount.node.addDependency(namespace);
    for (const secret of [data.postgresSecret, data.redisAdmin, data.searchMaster]) {
      secret.grantRead(this.serviceAccount);
    }
    const tenantUsers = this.formatArn({
      service: 'elasticache',
      resource: 'user',
      resourceName: TENANT_REDIS_USER_IDS,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.serviceAccount.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TenantRedisUsers',
        actions: [
          'elasticache:CreateUser',
          'elasticache:ModifyUser',
          'elasticache:DeleteUser',
          'elasticache:DescribeUsers',
        ],
        resources: [tenantUsers],
      }),
    );
    this.serviceAccount.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TenantRedisUserGroup',
        actions: ['elasticache:ModifyUserGroup', 'elasticache:DescribeUserGroups'],
        resources: [data.redisUsers.attrArn, tenantUsers],
      }),
    );
    acknowledge(this.serviceAccount, {
      ids: [
        wildcard(
          'Resource',
          `arn:${nagPseudo(this.partition, 'Partition')}:elasticache:${this.region}:${nagPseudo(this.account, 'AccountId')}:user:${TENANT_REDIS_USER_IDS}`,
        ),
      ],
      reason:
        "Tenant users are created at run time, one per SentimentPlatform; the pattern matches the tenants' user IDs only, not the group's default and operator users.",
    });

    const backupRolePrefix = tenantBackupRolePrefix(config.name);
    this.grantTenantBackupRoles(backupRolePrefix, data.backups.boundary);

    const chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chartAsset: new Asset(this, 'ChartAsset', { path: props.chartDir }),
      release: OPERATOR_RELEASE,
      namespace: SYSTEM_NAMESPACE,
      createNamespace: false,
      wait: true,
      values: {
        serviceAccount: { create: false, name: OPERATOR_RELEASE },
        // On the on-demand system group with the other controllers: a spot reclaim must not take both replicas.
        nodeSelector: { [LABELS.nodePool]: NODE_POOLS.system },
        dashboardOrigin: props.dashboardOrigin,
        // What the operator needs to know about the shared infrastructure; secrets are referenced by ARN only.
        platform: {
          environment: config.name,
          region: config.region,
          tenantBedrockRoleArn: props.tenantBedrockRole.roleArn,
          postgres: {
            host: data.postgres.dbInstanceEndpointAddress,
            port: data.postgres.dbInstanceEndpointPort,
            secretArn: data.postgresSecret.secretArn,
          },
          redis: {
            host: data.redis.attrPrimaryEndPointAddress,
            port: data.redis.attrPrimaryEndPointPort,
            secretArn: data.redisAdmin.secretArn,
            userGroupId: data.redisUsers.ref,
          },
          opensearch: {
            endpoint: `https://${data.search.domainEndpoint}`,
            secretArn: data.searchMaster.secretArn,
          },
        },
        // Tenant backups: the bucket, and the per-tenant roles the operator creates for the backup pods.
        backup: {
          bucket: data.backups.bucket.bucketName,
          region: config.region,
          tenantRoles: {
            namePrefix: backupRolePrefix,
            permissionsBoundaryArn: data.backups.boundary.managedPolicyArn,
            oidcProviderArn: cluster.openIdConnectProvider.openIdConnectProviderArn,
          },
        },
        // The self-hosted LLMs' model cache: the operator annotates each platform's LLM ServiceAccount with the
        // reader role and its seed Job's with the seeder role (crds: model-cache.ts).
        modelCache: {
          bucket: data.modelCache.bucket.bucketName,
          region: config.region,
          readerRoleArn: data.modelCache.readerRole.roleArn,
          seederRoleArn: data.modelCache.seederRole.roleArn,
        },
      },
    });
    chart.node.addDependency(this.serviceAccount);
  }

  /**
   * The per-tenant backup roles (crds: BACKUP_ROLE_PATH): the operator may create them, and write their inline
   * policy, only with `boundary` as their permissions boundary, so each stays within the backup bucket
   * whatever the policy says; and it may never remove or replace a boundary. Roles outside the path and
   * prefix (this stack's own, the cluster's, anyone's) are out of its reach.
   */
  private grantTenantBackupRoles(prefix: string, boundary: iam.IManagedPolicy): void {
    const roles = `arn:${this.partition}:iam::${this.account}:role${BACKUP_ROLE_PATH}${prefix}*`;
    this.serviceAccount.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TenantBackupRolesBounded',
        actions: ['iam:CreateRole', 'iam:PutRolePolicy'],
        resources: [roles],
        conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary.managedPolicyArn } },
      }),
    );
    this.serviceAccount.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TenantBackupRoles',
        actions: [
          'iam:GetRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:TagRole',
          'iam:ListRolePolicies',
          'iam:DeleteRolePolicy',
          'iam:DeleteRole',
        ],
        resources: [roles],
      }),
    );
    acknowledge(this.serviceAccount, {
      ids: [
        wildcard(
          'Resource',
          `arn:${nagPseudo(this.partition, 'Partition')}:iam::${nagPseudo(this.account, 'AccountId')}:role${BACKUP_ROLE_PATH}${prefix}*`,
        ),
      ],
      reason:
        'Tenant backup roles are created at run time, one per SentimentPlatform with backups; the pattern matches ' +
        "only this environment's roles under the tenant backup path, and creating one or writing its policy " +
        'requires the backup permissions boundary.',
    });
  }
}
