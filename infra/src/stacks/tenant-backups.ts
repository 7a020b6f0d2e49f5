import { BACKUP_BUCKET_ACTIONS, BACKUP_OBJECT_ACTIONS, BACKUP_ROLE_PATH } from '@sentiment/crds';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledge, wildcard } from '../nag.js';

/**
 * The tenants' database backups (crds: backup.ts): one bucket, each tenant's pods under their own
 * `<namespace>/<tenant id>/` prefix. The operator creates, per tenant with backups, an IAM role under
 * BACKUP_ROLE_PATH that reaches only that prefix; `boundary` is the permissions boundary every such role
 * must carry, so no role the operator makes can reach beyond this bucket, whatever its inline policy says.
 */
export class TenantBackups extends Construct {
  readonly bucket: s3.Bucket;
  /** Server access logs of `bucket` (under `s3/`): who read, wrote or deleted which backup. The model cache's
   *  bucket logs here too, under `model-cache/` (DataStack). */
  readonly accessLogs: s3.Bucket;
  /** Caps the operator-created tenant backup roles (OperatorInstallStack allows no role without it). */
  readonly boundary: iam.ManagedPolicy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Log delivery through a bucket policy (logging.s3.amazonaws.com, only from `bucket`) rather than the
    // LogDeliveryWrite ACL, so both buckets keep ACLs disabled. Set before any child exists (setContext's rule).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    // Retained like the backups themselves: it is the record of who touched them.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned, and tenant roles get s3:DeleteObject but never s3:DeleteObjectVersion: a backup that
      // retention (or a compromised tenant) deletes or overwrites only becomes a noncurrent version, which
      // stays recoverable for 30 days before the lifecycle rule removes it for good.
      versioned: true,
      lifecycleRules: [
        {
          id: 'housekeeping',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(30),
          // Once a deleted backup's last version has expired, its delete marker is dropped too, so listings
          // (`latest`, retention) do not wade through a marker per backup ever deleted.
          expiredObjectDeleteMarker: true,
        },
      ],
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 's3/',
      // Backups outlive the stack: deleting it must never delete the tenants' only copy of their data.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.boundary = new iam.ManagedPolicy(this, 'TenantRoleBoundary', {
      description:
        `Permissions boundary that caps the tenant backup roles the operator creates (path ${BACKUP_ROLE_PATH}): ` +
        'at most the backup actions on the tenant backup bucket, whatever a role policy grants.',
      statements: [
        new iam.PolicyStatement({
          sid: 'BackupObjects',
          actions: [...BACKUP_OBJECT_ACTIONS],
          resources: [this.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'BackupListing',
          actions: [...BACKUP_BUCKET_ACTIONS],
          resources: [this.bucket.bucketArn],
        }),
      ],
    });
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    acknowledge(this.boundary, {
      ids: [wildcard('Resource', `<${bucketId}.Arn>/*`)],
      reason:
        "A boundary caps roles, it grants nothing: every key of the backup bucket is the most a tenant role may reach; each role's own policy narrows it to the tenant's prefix.",
    });
  }
}
