// What `cdk deploy` hands the operator, without AWS: the demo environment of the CDK app in this checkout
// is synthesized, and the operator chart's values in its Operator stack are resolved as CloudFormation would
// once the Data stack's resources exist, with the test services standing in for them (RDS → the test
// Postgres, ElastiCache → the ElastiCache-like test Redis and its user group, the OpenSearch domain → the test
// OpenSearch) and its Secrets Manager
// secrets created in moto, in the shape each secret's template declares, holding those services' admin
// credentials; the tenant backup bucket, the backup roles' permissions boundary (its document as the
// template declares it) and the cluster's IAM OIDC provider (the test API server's issuer) are made in moto.
// Anything else the values reference must have a stand-in here, or this throws.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { addPlatform, ENVIRONMENTS } from '@sentiment/infra';
import { awsClientConfig } from '@sentiment/testenv';
import { App } from 'aws-cdk-lib';
import { env, kubectl, REPO_DIR } from './cluster.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: string } }>;
}

/** Admin credentials of the test services, as the managed services' secrets would hold them. */
function adminOf(service: string): { username: string; password: string; host: string; port: string } {
  const url = new URL(
    service === 'postgres'
      ? env.DATABASE_URL
      : service === 'redis'
        ? env.ELASTICACHE_REDIS_URL
        : env.OPENSEARCH_URL,
  );
  return {
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    host: url.hostname,
    port: url.port,
  };
}

/** The operator chart's values of the demo environment, resolved onto the test services and moto. */
export async function operatorValuesFromCdk(run: string): Promise<Record<string, Json>> {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-e2e-')) });
  const stacks = addPlatform(app, ENVIRONMENTS.demo, {
    operatorChartDir: join(REPO_DIR, 'charts', 'sentiment-operator'),
  });
  const assembly = app.synth();
  const templates = assembly.stacks.map((s) => s.template as Template);
  const operator = assembly.getStackByName(stacks.operator.stackName).template as Template;
  const chart = Object.values(operator.Resources).find((r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart');
  if (!chart?.Properties?.Values) throw new Error('the Operator stack installs no chart with values');

  // Each token of the values' Fn::Join becomes a marker; resolved once the JSON says where it sits.
  const tokens: { template: Template; value: Json }[] = [];
  const join_ = chart.Properties.Values as { 'Fn::Join': [string, Json[]] };
  const text = join_['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const name = (part as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
      const producer = templates.find((t) =>
        Object.values(t.Outputs ?? {}).some((o) => o.Export?.Name === name),
      );
      const output = Object.values(producer?.Outputs ?? {}).find((o) => o.Export?.Name === name);
      if (!producer || !output) throw new Error(`no stack exports ${JSON.stringify(part)}`);
      tokens.push({ template: producer, value: output.Value });
      return `@@token${tokens.length - 1}@@`;
    })
    .join('');
  const values = JSON.parse(text) as Record<string, Json>;

  const sm = new SecretsManagerClient(awsClientConfig(env));
  const iam = new IAMClient(awsClientConfig(env));
  const s3 = new S3Client({ ...awsClientConfig(env), forcePathStyle: true });
  // A bucket is made once however often it is referenced (its name in the values, its ARN in a policy).
  const buckets = new Map<string, Promise<string>>();
  const bucketOf = (logicalId: string) => {
    if (!buckets.has(logicalId)) {
      const name = `${logicalId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 40)}-${run}`.slice(0, 63);
      buckets.set(
        logicalId,
        s3.send(new CreateBucketCommand({ Bucket: name })).then(() => name),
      );
    }
    return buckets.get(logicalId)!;
  };
  /** A policy document's intrinsics (Fn::Join, the partition, a bucket's Ref and Arn) onto the stand-ins. */
  const intrinsic = async (template: Template, node: Json): Promise<Json> => {
    if (Array.isArray(node)) return Promise.all(node.map((n) => intrinsic(template, n)));
    if (!node || typeof node !== 'object') return node;
    const o = node as Record<string, Json>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, Json[]];
      return (await Promise.all(parts.map((p) => intrinsic(template, p)))).join(sep);
    }
    if (o.Ref === 'AWS::Partition') return 'aws';
    const ref = (o.Ref ?? (o['Fn::GetAtt'] as string[] | undefined)?.[0]) as string | undefined;
    if (ref && template.Resources[ref]?.Type === 'AWS::S3::Bucket') {
      const name = await bucketOf(ref);
      return o.Ref ? name : `arn:aws:s3:::${name}`;
    }
    if (ref) throw new Error(`no stand-in for ${JSON.stringify(node)} in a policy document`);
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(o)) out[k] = await intrinsic(template, v);
    return out;
  };
  const resolveToken = async (path: string[], i: number): Promise<string> => {
    const { template, value } = tokens[i]!;
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const logicalId = v.Ref ?? v['Fn::GetAtt']?.[0];
    const attribute = v.Ref ? 'Ref' : v['Fn::GetAtt']?.[1];
    const resource = logicalId ? template.Resources[logicalId] : undefined;
    if (!resource) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
    const service = path[0] === 'platform' ? path[1]! : '';
    const at = `${resource.Type}.${attribute}`;
    switch (at) {
      case 'AWS::S3::Bucket.Ref':
        return bucketOf(logicalId!);
      case 'AWS::IAM::ManagedPolicy.Ref': {
        const document = await intrinsic(template, resource.Properties!.PolicyDocument!);
        const out = await iam.send(
          new CreatePolicyCommand({
            PolicyName: `${logicalId}-${run}`,
            PolicyDocument: JSON.stringify(document),
          }),
        );
        return out.Policy!.Arn!;
      }
      case 'Custom::AWSCDKOpenIdConnectProvider.Ref':
        return oidcProvider(iam);
      case 'AWS::RDS::DBInstance.Endpoint.Address':
      case 'AWS::ElastiCache::ReplicationGroup.PrimaryEndPoint.Address':
        return adminOf(service).host;
      case 'AWS::RDS::DBInstance.Endpoint.Port':
      case 'AWS::ElastiCache::ReplicationGroup.PrimaryEndPoint.Port':
        return adminOf(service).port;
      case 'AWS::ElastiCache::UserGroup.Ref':
        return env.ELASTICACHE_USER_GROUP;
      case 'AWS::OpenSearchService::Domain.DomainEndpoint':
        return `${adminOf(service).host}:${adminOf(service).port}`;
      case 'AWS::CloudFront::Distribution.DomainName':
        return 'd111111abcdef8.cloudfront.net';
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::123456789012:role/${logicalId}`;
      case 'AWS::SecretsManager::SecretTargetAttachment.Ref':
      case 'AWS::SecretsManager::Secret.Ref': {
        // An attachment's Ref is its secret's ARN.
        const secretId =
          resource.Type === 'AWS::SecretsManager::Secret'
            ? logicalId!
            : (resource.Properties!.SecretId as { Ref: string }).Ref;
        const secret = template.Resources[secretId]!;
        const generate = secret.Properties?.GenerateSecretString as
          { SecretStringTemplate?: string; GenerateStringKey?: string } | undefined;
        const admin = adminOf(service);
        // The shape the template declares: JSON (a template plus a generated key) or the plain string.
        const content = generate?.GenerateStringKey
          ? JSON.stringify({
              ...(JSON.parse(generate.SecretStringTemplate ?? '{}') as object),
              username: admin.username,
              [generate.GenerateStringKey]: admin.password,
            })
          : admin.password;
        const out = await sm.send(
          new CreateSecretCommand({ Name: `${secretId}-${run}`, SecretString: content }),
        );
        return out.ARN!;
      }
      default:
        throw new Error(`no stand-in for ${at} (at ${path.join('.')})`);
    }
  };
  const walk = async (node: Json, path: string[]): Promise<Json> => {
    if (typeof node === 'string') {
      const parts = node.split(/@@token(\d+)@@/);
      if (parts.length === 1) return node;
      let out = '';
      for (let i = 0; i < parts.length; i++)
        out += i % 2 ? await resolveToken(path, Number(parts[i])) : parts[i];
      return out;
    }
    if (Array.isArray(node)) return Promise.all(node.map((n, i) => walk(n, [...path, String(i)])));
    if (node && typeof node === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(node)) out[k] = await walk(v, [...path, k]);
      return out;
    }
    return node;
  };
  return (await walk(values, [])) as Record<string, Json>;
}

/**
 * The cluster's IAM OIDC provider: the test API server's issuer (its discovery document), which the tokens
 * the IRSA webhook projects carry, so the trust the operator writes into a role names what STS would check.
 * One per issuer, as IAM allows.
 */
async function oidcProvider(iam: IAMClient): Promise<string> {
  const { issuer } = JSON.parse(await kubectl(['get', '--raw', '/.well-known/openid-configuration'])) as {
    issuer: string;
  };
  const host = issuer.replace(/^https:\/\//, '');
  const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  const known = listed.OpenIDConnectProviderList?.find((p) => p.Arn?.endsWith(`:oidc-provider/${host}`));
  if (known?.Arn) return known.Arn;
  const out = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: issuer,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['0'.repeat(40)],
    }),
  );
  return out.OpenIDConnectProviderArn!;
}
