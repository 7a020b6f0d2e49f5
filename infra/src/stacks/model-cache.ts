import {
  MODEL_CACHE_READER_SA_SUFFIX,
  MODEL_CACHE_SEEDER_SA_SUFFIX,
  modelCachePrefix,
  TENANT_NAMESPACE_GLOB,
} from '@sentiment/crds';
import { CfnJson, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, wildcard } from '../nag.js';

/**
 * The first segment of every model's prefix (crds: modelCachePrefix(), `models/<runtime>/<org>/<name>/…`):
 * all the cache roles reach, and nothing beyond it. Read from the contract, so a change there moves it here.
 */
export const MODEL_CACHE_ROOT = `${modelCachePrefix('vllm', 'org/name').split('/')[0]}/`;

/** The IRSA subjects the cache roles trust (crds: model-cache.ts): the ServiceAccounts the operator names. */
export const MODEL_CACHE_SUBJECTS = {
  reader: `system:serviceaccount:${TENANT_NAMESPACE_GLOB}:*${MODEL_CACHE_READER_SA_SUFFIX}`,
  seeder: `system:serviceaccount:${TENANT_NAMESPACE_GLOB}:*${MODEL_CACHE_SEEDER_SA_SUFFIX}`,
} as const;

export interface ModelCacheProps {
  /** The cluster's IAM OIDC provider: the LLM pods and seed Jobs assume the roles through it (IRSA). */
  readonly oidcProvider: iam.IOpenIdConnectProvider;
  /** Where the bucket's server access logs go, under `model-cache/` (a bucket that delivers by policy). */
  readonly accessLogs: s3.IBucket;
}

/**
 * The self-hosted LLMs' weights (crds: model-cache.ts): copied once from Hugging Face into this bucket by a
 * tenant's seed Job, and from here onto the pod's disk by the LLM pod's init container at every start, so a
 * replacement spot node reads S3 in its own region (through the VPC's S3 gateway endpoint) instead of the Hub.
 * One bucket for the installation, shared by every tenant serving the same model. Two roles, both trusted by
 * ServiceAccount name in tenant namespaces only: the LLM pods' reader and the seed Jobs' seeder, which may
 * write but never delete.
 */
export class ModelCache extends Construct {
  readonly bucket: s3.Bucket;
  /** Assumed by `<platform>-llm` (the LLM pods' init container): read the cached models. */
  readonly readerRole: iam.Role;
  /** Assumed by `<platform>-model-seed` (the seed Job): read and write the cached models, never delete. */
  readonly seederRole: iam.Role;

  constructor(scope: Construct, id: string, props: ModelCacheProps) {
    super(scope, id);
    const { oidcProvider } = props;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Not versioned: every file can be copied again from the Hub, and the seed writes a model's manifest last,
      // so an overwrite in progress is never taken for a complete copy.
      versioned: false,
      // Weights are uploaded in parts (GBs per file); a seed that dies mid-file leaves parts S3 would bill forever.
      lifecycleRules: [{ id: 'housekeeping', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'model-cache/',
      // Retained like the backup bucket: deleting the stack must not throw away tens of GB per model that every
      // tenant's seed would then download from the Hub again (gated models only with a tenant's token).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const models = this.bucket.arnForObjects(`${MODEL_CACHE_ROOT}*`);
    // s3:ListBucket within the cache's keys: without it a missing key answers 403 instead of 404 (NoSuchKey),
    // and the init container waits for the seed on exactly that 404.
    const listing = new iam.PolicyStatement({
      sid: 'ListModels',
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${MODEL_CACHE_ROOT}*` } },
    });

    this.readerRole = this.irsaRole(
      'Reader',
      oidcProvider,
      MODEL_CACHE_SUBJECTS.reader,
      'Assumed (IRSA) by the self-hosted LLM pods in tenant namespaces to read cached model weights',
    );
    this.readerRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadModels', actions: ['s3:GetObject'], resources: [models] }),
    );
    this.readerRole.addToPolicy(listing);

    this.seederRole = this.irsaRole(
      'Seeder',
      oidcProvider,
      MODEL_CACHE_SUBJECTS.seeder,
      'Assumed (IRSA) by the model seed Jobs in tenant namespaces to copy model weights into the cache',
    );
    this.seederRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteModels',
        // Put covers the multipart calls (create, upload part, complete); no s3:DeleteObject: a tenant's seed
        // can add a model or overwrite one with the Hub's files, but never remove what other tenants read.
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [models],
      }),
    );
    this.seederRole.addToPolicy(listing);

    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    for (const role of [this.readerRole, this.seederRole]) {
      acknowledge(role, {
        ids: [wildcard('Resource', `<${bucketId}.Arn>/${MODEL_CACHE_ROOT}*`)],
        reason:
          'Model keys are written at run time, one prefix per runtime and Hub repository (crds: modelCachePrefix), ' +
          'shared by every tenant serving that model; the pattern is the cache prefix of this one bucket only.',
      });
    }
  }

  /** An IRSA role that only `subject` (a StringLike pattern) may assume, through the cluster's OIDC provider. */
  private irsaRole(
    id: string,
    provider: iam.IOpenIdConnectProvider,
    subject: string,
    description: string,
  ): iam.Role {
    const issuer = provider.openIdConnectProviderIssuer;
    // The issuer is a deploy-time token, so the condition keys must be built by CloudFormation (CfnJson).
    const conditions = new CfnJson(this, `${id}Trust`, {
      value: { [`${issuer}:sub`]: subject, [`${issuer}:aud`]: 'sts.amazonaws.com' },
    });
    return new iam.Role(this, `${id}Role`, {
      description,
      assumedBy: new iam.WebIdentityPrincipal(provider.openIdConnectProviderArn, { StringLike: conditions }),
    });
  }
}
