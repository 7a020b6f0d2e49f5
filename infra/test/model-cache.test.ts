// The self-hosted LLMs' model cache: the bucket, the IRSA roles of the LLM pods (reader) and of the seed Jobs
// (seeder), what each may do, and the chart values that tell the operator about them.
import {
  llmServiceAccountName,
  MODEL_CACHE_READER_SA_SUFFIX,
  MODEL_CACHE_SEEDER_SA_SUFFIX,
  modelCachePrefix,
  modelSeedServiceAccountName,
  TENANT_NAMESPACE_GLOB,
} from '@sentiment/crds';
import anyTest, { type TestFn } from 'ava';
import { type Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MODEL_CACHE_ROOT, MODEL_CACHE_SUBJECTS } from '../src/stacks/model-cache.js';
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
const idOf = (stack: Stack, construct: s3.Bucket | iam.Role): string =>
  stack.getLogicalId(construct.node.defaultChild as s3.CfnBucket | iam.CfnRole);
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const documentOf = (r: CfnResource | undefined, key = 'PolicyDocument'): Statement[] =>
  (r?.Properties?.[key] as { Statement: Statement[] } | undefined)?.Statement ?? [];

/** An IAM StringLike pattern as a regular expression (`*` any run of characters, `?` one). */
const glob = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

/** Every statement of every policy in `stack` attached to `role` (inline or a policy resource naming it). */
function roleStatements(s: Synthesized, stack: Stack, role: iam.Role): Statement[] {
  const template = json(s, stack);
  const roleId = idOf(stack, role);
  const own = template.Resources[roleId];
  const inline = (
    (own?.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => documentOf(r));
  return [...inline, ...attached];
}

test('bucket: private, SSE-S3, ACLs off, TLS only, not versioned, multipart cleanup, access logs, retained', (t) => {
  const { data } = t.context.stacks;
  const template = json(t.context, data);
  const id = idOf(data, data.modelCache.bucket);
  const logs = idOf(data, data.backups.accessLogs);
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
    LifecycleConfiguration: {
      Rules: [
        { Id: 'housekeeping', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      ],
    },
    LoggingConfiguration: { DestinationBucketName: { Ref: logs }, LogFilePrefix: 'model-cache/' },
  });
  t.false('VersioningConfiguration' in bucket.Properties!, 'not versioned');
  t.is(bucket.DeletionPolicy, 'Retain');
  t.is(bucket.UpdateReplacePolicy, 'Retain');

  // Its policy only refuses requests without TLS: access is the roles' own policies, nothing is granted here.
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

  // The shared log bucket admits S3's log delivery from exactly the two buckets, each under its own prefix.
  const logPolicy = resourcesOfType(t.context.template(data), 'AWS::S3::BucketPolicy').find(
    (p) => (p.Properties!.Bucket as { Ref: string }).Ref === logs,
  );
  const delivery = (logPolicy?.Properties?.PolicyDocument as { Statement: Statement[] }).Statement.filter(
    (s) => s.Effect === 'Allow',
  );
  const from = (bucketId: string, prefix: string): Statement => ({
    Action: 's3:PutObject',
    Condition: {
      ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    },
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logs, 'Arn'] }, `/${prefix}*`]] },
  });
  t.deepEqual(delivery, [from(idOf(data, data.backups.bucket), 's3/'), from(id, 'model-cache/')]);
});

test('the cache prefix is the contract’s: every model key lives under models/', (t) => {
  t.is(MODEL_CACHE_ROOT, 'models/');
  for (const [runtime, model] of [
    ['vllm', 'Qwen/Qwen2.5-7B-Instruct'],
    ['llama-cpp', 'bartowski/Llama-3.2-3B-Instruct-GGUF:q4_k_m'],
  ] as const)
    t.true(modelCachePrefix(runtime, model).startsWith(MODEL_CACHE_ROOT), model);
});

for (const [kind, suffix, literal, name] of [
  ['reader', MODEL_CACHE_READER_SA_SUFFIX, 'system:serviceaccount:tenant-*:*-llm', llmServiceAccountName],
  [
    'seeder',
    MODEL_CACHE_SEEDER_SA_SUFFIX,
    'system:serviceaccount:tenant-*:*-model-seed',
    modelSeedServiceAccountName,
  ],
] as const) {
  test(`${kind} role: trusted (IRSA, aud sts.amazonaws.com) by the ${suffix} ServiceAccounts of tenant namespaces only`, (t) => {
    const s = t.context;
    const { data } = s.stacks;
    const template = json(s, data);
    const role = kind === 'reader' ? data.modelCache.readerRole : data.modelCache.seederRole;
    const trust = documentOf(template.Resources[idOf(data, role)], 'AssumeRolePolicyDocument');
    t.is(trust.length, 1);
    const [statement] = trust;
    t.is(statement!.Effect, 'Allow');
    t.is(statement!.Action, 'sts:AssumeRoleWithWebIdentity');
    const federated = (statement!.Principal as { Federated: unknown }).Federated;
    const oidc = Object.entries(json(s, s.stacks.cluster).Resources).filter(
      ([, r]) => r.Type === 'Custom::AWSCDKOpenIdConnectProvider',
    );
    t.is(oidc.length, 1);
    t.is(importTarget(s, federated), `Custom::AWSCDKOpenIdConnectProvider.Ref ${oidc[0]![0]}`);

    // The conditions are a CfnJson (the issuer is a deploy-time value): resolve it with the issuer as <issuer>.
    t.deepEqual(Object.keys(statement!.Condition ?? {}), ['StringLike']);
    const value = statement!.Condition!.StringLike as unknown as { 'Fn::GetAtt': [string, string] };
    t.is(value['Fn::GetAtt'][1], 'Value');
    const cfnJson = template.Resources[value['Fn::GetAtt'][0]]!;
    t.is(cfnJson.Type, 'Custom::AWSCDKCfnJson');
    const issuer = {
      'Fn::Select': [1, { 'Fn::Split': [':oidc-provider/', federated] }],
    };
    const parts = (cfnJson.Properties!.Value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const conditions = JSON.parse(
      parts
        .map((p) => {
          if (typeof p === 'string') return p;
          t.deepEqual(p, issuer, 'the condition keys are the OIDC provider’s issuer');
          return '<issuer>';
        })
        .join(''),
    ) as Record<string, string>;
    const subject = `system:serviceaccount:${TENANT_NAMESPACE_GLOB}:*${suffix}`;
    t.deepEqual(conditions, { '<issuer>:sub': subject, '<issuer>:aud': 'sts.amazonaws.com' });
    t.is(subject, MODEL_CACHE_SUBJECTS[kind]);
    // The contract's names today; a change there must show up here.
    t.is(subject, literal);

    // What the pattern admits: the operator's names for this ServiceAccount in any tenant namespace, nothing else.
    const sub = glob(conditions['<issuer>:sub']!);
    const other = kind === 'reader' ? modelSeedServiceAccountName : llmServiceAccountName;
    t.true(sub.test(`system:serviceaccount:tenant-acme:${name('acme')}`));
    t.true(sub.test(`system:serviceaccount:tenant-globex-eu:${name('globex')}`));
    t.false(
      sub.test(`system:serviceaccount:tenant-acme:${other('acme')}`),
      'the other role’s ServiceAccount',
    );
    t.false(sub.test('system:serviceaccount:tenant-acme:acme'), 'the tenant’s other pods');
    t.false(sub.test(`system:serviceaccount:sentiment-system:${name('acme')}`), 'outside tenant namespaces');
    t.false(sub.test(`system:serviceaccount:default:${name('acme')}`), 'outside tenant namespaces');
  });
}

/** The roles' `models/*` and `s3:ListBucket` statements, in the template's form. */
function expected(bucketId: string): { models: unknown; list: Statement } {
  return {
    models: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/models/*']] },
    list: {
      Sid: 'ListModels',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
      Condition: { StringLike: { 's3:prefix': 'models/*' } },
    },
  };
}

test('reader role: reads and lists models/ only; cannot write or delete', (t) => {
  const s = t.context;
  const { data } = s.stacks;
  const role = data.modelCache.readerRole;
  const { models, list } = expected(idOf(data, data.modelCache.bucket));
  const statements = roleStatements(s, data, role);
  t.deepEqual(statements, [
    { Sid: 'ReadModels', Effect: 'Allow', Action: 's3:GetObject', Resource: models },
    list,
  ]);
  const all = statements.flatMap(actions);
  for (const denied of [
    's3:PutObject',
    's3:DeleteObject',
    's3:DeleteObjectVersion',
    's3:AbortMultipartUpload',
  ])
    t.false(all.includes(denied), denied);
  t.false(
    all.some((a) => a.includes('*')),
    'no action wildcard',
  );
  const props = json(s, data).Resources[idOf(data, role)]!.Properties!;
  t.false('ManagedPolicyArns' in props, 'no managed policy');
  t.false('PermissionsBoundary' in props);
});

test('seeder role: writes models/ (multipart included), never deletes', (t) => {
  const s = t.context;
  const { data } = s.stacks;
  const role = data.modelCache.seederRole;
  const { models, list } = expected(idOf(data, data.modelCache.bucket));
  const statements = roleStatements(s, data, role);
  t.deepEqual(statements, [
    {
      Sid: 'WriteModels',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: models,
    },
    list,
  ]);
  const all = statements.flatMap(actions);
  t.false(
    all.some((a) => /Delete|\*/.test(a)),
    'no delete, no action wildcard',
  );
  t.false('ManagedPolicyArns' in json(s, data).Resources[idOf(data, role)]!.Properties!);
});

test('no other role or policy of any stack reaches the model cache bucket', (t) => {
  const s = t.context;
  const { data } = s.stacks;
  const bucketId = idOf(data, data.modelCache.bucket);
  const own = new Set([
    ...resourcesOfType(s.template(data), 'AWS::IAM::Policy')
      .filter((p) => {
        const roles = JSON.stringify(p.Properties?.Roles ?? []);
        return [data.modelCache.readerRole, data.modelCache.seederRole].some((r) =>
          roles.includes(`"${idOf(data, r)}"`),
        );
      })
      .map((p) => JSON.stringify(p)),
  ]);
  t.is(own.size, 2);
  for (const [name, stack] of Object.entries(s.stacks)) {
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role']) {
      for (const r of resourcesOfType(s.template(stack), type)) {
        if (own.has(JSON.stringify(r))) continue;
        const text = JSON.stringify(r.Properties);
        t.false(
          text.includes(`"${bucketId}"`) || /ModelCacheBucket/.test(text),
          `${name}: ${type} mentions the model cache bucket`,
        );
      }
    }
  }
});

test('outputs: the bucket name and both role ARNs', (t) => {
  const { data } = t.context.stacks;
  const outputs = json(t.context, data).Outputs ?? {};
  t.deepEqual(outputs.ModelCacheBucket?.Value, { Ref: idOf(data, data.modelCache.bucket) });
  t.deepEqual(outputs.ModelCacheReaderRoleArn?.Value, {
    'Fn::GetAtt': [idOf(data, data.modelCache.readerRole), 'Arn'],
  });
  t.deepEqual(outputs.ModelCacheSeederRoleArn?.Value, {
    'Fn::GetAtt': [idOf(data, data.modelCache.seederRole), 'Arn'],
  });
});

test('chart values: modelCache carries the bucket, the region and both role ARNs of the Data stack', (t) => {
  const s = t.context;
  const { data } = s.stacks;
  const values = operatorChartValues(s);
  t.deepEqual(values.modelCache, {
    bucket: `<AWS::S3::Bucket.Ref ${idOf(data, data.modelCache.bucket)}>`,
    region: 'us-east-1',
    readerRoleArn: `<AWS::IAM::Role.Arn ${idOf(data, data.modelCache.readerRole)}>`,
    seederRoleArn: `<AWS::IAM::Role.Arn ${idOf(data, data.modelCache.seederRole)}>`,
  });
});

test('cdk-nag: no unacknowledged finding in the Data stack, and the one acknowledged is the models/ wildcard', (t) => {
  const { data } = t.context.stacks;
  const report = new AwsSolutionsChecks().validateScope(data);
  t.deepEqual(
    report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
    ),
    [],
  );
  const bucketId = idOf(data, data.modelCache.bucket);
  for (const role of [data.modelCache.readerRole, data.modelCache.seederRole]) {
    const acks = role.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.keys(m.data as Record<string, string>).map((k) => k.replace(/^annotation::/i, '')),
      );
    t.deepEqual(acks, [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/models/*]`], role.node.path);
  }
});
