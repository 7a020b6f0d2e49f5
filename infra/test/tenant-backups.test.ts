// Tenant backups: the bucket, the permissions boundary of the operator's per-tenant backup roles, what the
// operator may do with those roles, and the chart values that tell it about all three.
import {
  BACKUP_BUCKET_ACTIONS,
  BACKUP_OBJECT_ACTIONS,
  BACKUP_ROLE_PATH,
  BACKUP_ROLE_PREFIX_PATTERN,
  backupRoleName,
} from '@sentiment/crds';
import anyTest, { type TestFn } from 'ava';
import { App, type Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addPlatform } from '../src/app.js';
import { ENVIRONMENT_NAMES, type PlatformConfig } from '../src/config/environment.js';
import { ENVIRONMENTS } from '../src/config/environments.js';
import { tenantBackupRolePrefix } from '../src/stacks/operator-install.js';
import {
  importTarget,
  operatorChartValues,
  resourcesOfType,
  synthesize,
  type Synthesized,
} from './support.js';

const test = anyTest as TestFn<Synthesized>;

test.before((t) => {
  t.context = synthesize('demo');
});

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}
interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}

const json = (s: Synthesized, stack: Stack): CfnTemplate => s.template(stack).toJSON() as CfnTemplate;
const logicalId = (stack: Stack, bucket: s3.Bucket): string =>
  stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
const boundaryId = (s: Synthesized): string =>
  s.stacks.data.getLogicalId(s.stacks.data.backups.boundary.node.defaultChild as iam.CfnManagedPolicy);
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The operator stack's IAM statements (its ServiceAccount role's policy). */
function operatorStatements(s: Synthesized): Statement[] {
  return resourcesOfType(s.template(s.stacks.operator), 'AWS::IAM::Policy').flatMap(
    (p) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

test('backup bucket: private, SSE-S3, ACLs off, versioned, housekeeping lifecycle, access logs, retained', (t) => {
  const { data } = t.context.stacks;
  const template = json(t.context, data);
  const id = logicalId(data, data.backups.bucket);
  const logs = logicalId(data, data.backups.accessLogs);
  const bucket = template.Resources[id]!;
  t.is(bucket.Type, 'AWS::S3::Bucket');
  t.deepEqual(bucket.Properties, {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    VersioningConfiguration: { Status: 'Enabled' },
    LifecycleConfiguration: {
      Rules: [
        {
          Id: 'housekeeping',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          ExpiredObjectDeleteMarker: true,
        },
      ],
    },
    LoggingConfiguration: { DestinationBucketName: { Ref: logs }, LogFilePrefix: 's3/' },
  });
  t.is(bucket.DeletionPolicy, 'Retain');
  t.is(bucket.UpdateReplacePolicy, 'Retain');

  // Its policy only refuses requests without TLS; no principal is allowed anything there.
  const policies = resourcesOfType(t.context.template(data), 'AWS::S3::BucketPolicy').filter(
    (p) => (p.Properties!.Bucket as { Ref: string }).Ref === id,
  );
  t.is(policies.length, 1);
  t.deepEqual((policies[0]!.Properties!.PolicyDocument as { Statement: Statement[] }).Statement, [
    {
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] }],
    },
  ]);

  // The access-log bucket: private, no ACLs, written by S3's log delivery from the backup bucket only.
  const logBucket = template.Resources[logs]!;
  t.like(logBucket.Properties, {
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
  });
  t.false('AccessControl' in logBucket.Properties!, 'no LogDeliveryWrite ACL');
  t.is(logBucket.DeletionPolicy, 'Retain');
  const logPolicy = resourcesOfType(t.context.template(data), 'AWS::S3::BucketPolicy').find(
    (p) => (p.Properties!.Bucket as { Ref: string }).Ref === logs,
  );
  // The log bucket also takes the model cache's logs (model-cache.test.ts); here, the backup bucket's delivery.
  const delivery = (logPolicy?.Properties?.PolicyDocument as { Statement: Statement[] }).Statement.filter(
    (s) => s.Effect === 'Allow' && JSON.stringify(s.Condition).includes(`"${id}"`),
  );
  t.deepEqual(delivery, [
    {
      Action: 's3:PutObject',
      Condition: {
        ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [id, 'Arn'] } },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logs, 'Arn'] }, '/s3/*']] },
    },
  ]);
});

test('permissions boundary: exactly the backup actions on the backup bucket, attached to nothing', (t) => {
  const { data } = t.context.stacks;
  const template = json(t.context, data);
  const bucket = logicalId(data, data.backups.bucket);
  const policies = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy');
  t.is(policies.length, 1, 'the boundary is the data stack’s only managed policy');
  const [id, boundary] = policies[0]!;
  t.is(id, boundaryId(t.context));
  t.regex(boundary.Properties!.Description as string, /caps the tenant backup roles the operator creates/);
  t.deepEqual((boundary.Properties!.PolicyDocument as { Statement: Statement[] }).Statement, [
    {
      Sid: 'BackupObjects',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] },
    },
    {
      Sid: 'BackupListing',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
    },
  ]);
  // The literals above are the contract's (crds: backup.ts) today; a change there must show up here.
  t.deepEqual(
    [...BACKUP_OBJECT_ACTIONS],
    ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  );
  t.deepEqual([...BACKUP_BUCKET_ACTIONS], ['s3:ListBucket']);
  for (const key of ['Roles', 'Users', 'Groups']) t.false(key in boundary.Properties!, key);
});

test('operator: manages only this environment’s tenant backup roles, creating or widening them only with the boundary', (t) => {
  const s = t.context;
  const statements = operatorStatements(s);
  const roles = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':iam::',
        { Ref: 'AWS::AccountId' },
        ':role/sentiment-tenant-backups/sentiment-demo-*',
      ],
    ],
  };
  const bounded = statements.find((x) => x.Sid === 'TenantBackupRolesBounded');
  const managed = statements.find((x) => x.Sid === 'TenantBackupRoles');
  if (!bounded || !managed) return t.fail('tenant backup role statements missing');
  t.deepEqual(bounded.Action, ['iam:CreateRole', 'iam:PutRolePolicy']);
  t.deepEqual(bounded.Resource, roles);
  t.is(bounded.Effect, 'Allow');
  t.deepEqual(Object.keys(bounded.Condition ?? {}), ['StringEquals']);
  const boundaryRef = bounded.Condition!.StringEquals!;
  t.deepEqual(Object.keys(boundaryRef), ['iam:PermissionsBoundary']);
  t.is(
    importTarget(s, boundaryRef['iam:PermissionsBoundary']),
    `AWS::IAM::ManagedPolicy.Ref ${boundaryId(s)}`,
  );

  t.deepEqual(managed.Action, [
    'iam:GetRole',
    'iam:UpdateAssumeRolePolicy',
    'iam:TagRole',
    'iam:ListRolePolicies',
    'iam:DeleteRolePolicy',
    'iam:DeleteRole',
  ]);
  t.deepEqual(managed.Resource, roles);
  t.is(managed.Condition, undefined);

  // Nowhere else: no IAM action outside these two statements, none that touches a boundary, no iam wildcard.
  const iamActions = statements.flatMap((x) =>
    actions(x)
      .filter((a) => a.startsWith('iam:'))
      .map((a) => [x.Sid, a]),
  );
  t.deepEqual(
    iamActions.filter(([sid]) => sid !== 'TenantBackupRolesBounded' && sid !== 'TenantBackupRoles'),
    [],
  );
  const all = statements.flatMap(actions);
  for (const escape of [
    'iam:DeleteRolePermissionsBoundary',
    'iam:PutRolePermissionsBoundary',
    'iam:AttachRolePolicy',
    'iam:PassRole',
  ])
    t.false(all.includes(escape), escape);
  t.false(
    all.some((a) => a.includes('*')),
    'no action wildcard',
  );
  t.false(statements.some((x) => x.Effect !== 'Allow'));

  // The pattern covers the names the operator gives (crds: backupRoleName), under the path, and nothing else.
  const pattern = new RegExp(
    `^arn:aws:iam::123456789012:role${BACKUP_ROLE_PATH}${tenantBackupRolePrefix('demo')}[^/]*$`,
  );
  const arn = (name: string, rolePath = BACKUP_ROLE_PATH): string =>
    `arn:aws:iam::123456789012:role${rolePath}${name}`;
  const tenantRole = backupRoleName(tenantBackupRolePrefix('demo'), 'tenant-acme', 'acme');
  t.true(pattern.test(arn(tenantRole)), tenantRole);
  t.false(pattern.test(arn(backupRoleName(tenantBackupRolePrefix('production'), 'tenant-acme', 'acme'))));
  t.false(pattern.test(arn(tenantRole, '/')), 'a role outside the backup path');
});

test('chart values: backup bucket, region and tenantRoles reference the data and cluster stacks’ resources', (t) => {
  const s = t.context;
  // Each import becomes the resource it reads, so the JSON parses and says what each value refers to.
  const values = operatorChartValues(s);
  const oidc = Object.entries(json(s, s.stacks.cluster).Resources).filter(
    ([, r]) => r.Type === 'Custom::AWSCDKOpenIdConnectProvider',
  );
  t.is(oidc.length, 1);
  const { data } = s.stacks;
  t.deepEqual(values.backup, {
    bucket: `<AWS::S3::Bucket.Ref ${logicalId(data, data.backups.bucket)}>`,
    region: 'us-east-1',
    tenantRoles: {
      namePrefix: 'sentiment-demo-',
      permissionsBoundaryArn: `<AWS::IAM::ManagedPolicy.Ref ${boundaryId(s)}>`,
      oidcProviderArn: `<Custom::AWSCDKOpenIdConnectProvider.Ref ${oidc[0]![0]}>`,
    },
  });
  t.regex(tenantBackupRolePrefix('demo'), new RegExp(BACKUP_ROLE_PREFIX_PATTERN));
});

test('the role name prefix: sentiment-<env>-, every environment fits, a longer name fails the synthesis', (t) => {
  t.is(tenantBackupRolePrefix('demo'), 'sentiment-demo-');
  for (const env of ENVIRONMENT_NAMES) {
    const prefix = tenantBackupRolePrefix(env);
    t.regex(prefix, new RegExp(BACKUP_ROLE_PREFIX_PATTERN));
    t.true(backupRoleName(prefix, 'tenant-acme', 'acme').length <= 64, env);
  }
  // 'sentiment-' and '-' leave 21 characters of the 32 to the environment's name.
  t.is(tenantBackupRolePrefix('x'.repeat(21)).length, 32);
  t.throws(() => tenantBackupRolePrefix('x'.repeat(22)), {
    message: /"sentiment-x{22}-".*must match .*choose a shorter environment name/,
  });
  t.throws(() => tenantBackupRolePrefix('demo/eu'), { message: /must match/ });

  const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/operator-chart');
  const config = {
    ...ENVIRONMENTS.demo,
    name: 'a-rather-long-environment-name',
  } as unknown as PlatformConfig;
  t.throws(() => addPlatform(new App(), config, { operatorChartDir: fixture }), {
    message: /tenant backup role name prefix "sentiment-a-rather-long-environment-name-"/,
  });
});
