import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';
import { acknowledge, CDK_HANDLER_REASON, LAMBDA_BASIC_EXECUTION, wildcard } from '../nag.js';
import { ModelCache } from './model-cache.js';
import { SUBNETS } from './network.js';
import { TenantBackups } from './tenant-backups.js';

export interface DataStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
  /**
   * The EKS cluster security group: managed node groups and Fargate pods both carry it, so it is the one
   * peer the data services admit.
   */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The EKS cluster's IAM OIDC provider: the model cache's roles are assumed through it (IRSA). */
  readonly oidcProvider: iam.IOpenIdConnectProvider;
}

export const PORTS = { postgres: 5432, redis: 6379, opensearch: 443 } as const;

/**
 * Shared data services. The operator carves one database/role, Redis RBAC user and index prefix per tenant,
 * and one prefix (with its own IAM role) per tenant with backups in the backup bucket. The self-hosted LLMs'
 * model cache is shared by all tenants.
 */
export class DataStack extends Stack {
  readonly postgres: rds.DatabaseInstance;
  readonly postgresSecret: secretsmanager.ISecret;
  readonly redis: elasticache.CfnReplicationGroup;
  /** The operator's ElastiCache RBAC user: JSON username/password. */
  readonly redisAdmin: secretsmanager.Secret;
  /** The replication group's RBAC user group; the operator adds each tenant's user to it. */
  readonly redisUsers: elasticache.CfnUserGroup;
  readonly search: opensearch.Domain;
  readonly searchMaster: secretsmanager.Secret;
  /** The tenants' backup bucket and the permissions boundary of the operator's per-tenant backup roles. */
  readonly backups: TenantBackups;
  /** The self-hosted LLMs' weights, and the IRSA roles of the LLM pods (read) and the seed Jobs (write). */
  readonly modelCache: ModelCache;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, vpc, clientSecurityGroup } = props;
    const dataSubnets = vpc.selectSubnets({ subnetGroupName: SUBNETS.data });

    const sg = (name: string, port: number): ec2.SecurityGroup => {
      // No egress: a data service never initiates connections, so a compromised one cannot call out.
      const group = new ec2.SecurityGroup(this, `${name}Sg`, {
        vpc,
        description: `${name}: ${port}/tcp from EKS pods only`,
        allowAllOutbound: false,
      });
      group.addIngressRule(clientSecurityGroup, ec2.Port.tcp(port), 'EKS nodes and Fargate pods');
      return group;
    };

    this.postgres = this.createPostgres(config, vpc, sg('Postgres', PORTS.postgres));
    // Always set for generated credentials; the check turns a CDK behaviour change into a synth error.
    if (!this.postgres.secret) throw new Error('Postgres instance has no generated secret');
    this.postgresSecret = this.postgres.secret;
    [this.redis, this.redisAdmin, this.redisUsers] = this.createRedis(
      config,
      dataSubnets,
      sg('Redis', PORTS.redis),
    );
    [this.search, this.searchMaster] = this.createSearch(
      config,
      vpc,
      dataSubnets,
      sg('Search', PORTS.opensearch),
    );
    this.backups = new TenantBackups(this, 'TenantBackups');
    // Its access logs go to the backups' log bucket, under a prefix of their own, rather than to a third bucket.
    this.modelCache = new ModelCache(this, 'ModelCache', {
      oidcProvider: props.oidcProvider,
      accessLogs: this.backups.accessLogs,
    });

    new CfnOutput(this, 'PostgresEndpoint', { value: this.postgres.dbInstanceEndpointAddress });
    new CfnOutput(this, 'RedisEndpoint', { value: this.redis.attrPrimaryEndPointAddress });
    new CfnOutput(this, 'OpenSearchEndpoint', { value: this.search.domainEndpoint });
    new CfnOutput(this, 'BackupBucket', { value: this.backups.bucket.bucketName });
    new CfnOutput(this, 'ModelCacheBucket', { value: this.modelCache.bucket.bucketName });
    new CfnOutput(this, 'ModelCacheReaderRoleArn', { value: this.modelCache.readerRole.roleArn });
    new CfnOutput(this, 'ModelCacheSeederRoleArn', { value: this.modelCache.seederRole.roleArn });
    this.acknowledgeNagFindings(config);
  }

  private acknowledgeNagFindings(config: PlatformConfig): void {
    const { multiAz, protect, postgres } = config.data;
    if (!multiAz) {
      acknowledge(this, {
        ids: ['AwsSolutions-RDS3', 'AwsSolutions-AEC4', 'AwsSolutions-OS7'],
        reason: `Single-AZ data services are the documented trade-off of the ${config.name} environment (cost); production is multi-AZ.`,
      });
    }
    if (!protect) {
      acknowledge(this.postgres, {
        ids: ['AwsSolutions-RDS10'],
        reason: `The ${config.name} environment is disposable; production enables deletion protection.`,
      });
    }
    if (postgres.rotateMasterSecretDays === undefined) {
      // `postgres.secret` is the attachment; the generated secret itself is the instance's child 'Secret'.
      acknowledge(this.postgres.node.findChild('Secret'), {
        ids: ['AwsSolutions-SMG4'],
        reason: `The ${config.name} environment skips the rotation Lambda; production rotates the master secret.`,
      });
    }
    acknowledge(
      this,
      {
        ids: ['AwsSolutions-RDS11', 'AwsSolutions-AEC5'],
        reason:
          'Standard ports: a non-default port is not an access control here; only the EKS cluster security group ' +
          'can reach the isolated data subnets, and every client authenticates over TLS.',
      },
      {
        ids: ['AwsSolutions-OS3', 'AwsSolutions-OS5'],
        reason:
          'VPC-only domain in isolated subnets behind a security group that admits EKS pods only; fine-grained ' +
          'access control authenticates every request (IP allow-lists do not apply to a VPC domain).',
      },
      {
        ids: ['AwsSolutions-OS4'],
        reason:
          'One or two t3.small data nodes: dedicated masters would triple the domain cost for no benefit at this size.',
      },
    );
    acknowledge(this.redis, {
      ids: ['AwsSolutions-AEC6'],
      reason:
        'Authenticated with RBAC (a user group of per-tenant users, each with its own password and key prefix), ' +
        'which replaces the single shared AUTH token this rule looks for.',
    });
    acknowledge(this.redisAdmin, {
      ids: ['AwsSolutions-SMG4'],
      reason:
        'No managed rotation exists for ElastiCache RBAC users; the operator user is read only by the operator, ' +
        'tenants get their own users.',
    });
    acknowledge(this.searchMaster, {
      ids: ['AwsSolutions-SMG4'],
      reason:
        'No managed rotation exists for OpenSearch internal users; the master user is read only by the operator, ' +
        'tenants get their own FGAC users.',
    });
    acknowledge(this.search, {
      ids: [wildcard('Resource', '*')],
      reason:
        'CDK custom resource that sets the CloudWatch Logs resource policy; logs:PutResourcePolicy has no resource scope.',
    });
    // Singletons CDK adds for log retention and AwsCustomResource (OpenSearch access policy, log policy).
    for (const id of [
      'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a',
      'AWS679f53fac002430cb0da5b7982bd2287',
    ]) {
      acknowledge(this.node.findChild(id), {
        ids: [LAMBDA_BASIC_EXECUTION, wildcard('Resource', '*')],
        reason: CDK_HANDLER_REASON,
      });
    }
  }

  private createPostgres(config: PlatformConfig, vpc: ec2.IVpc, sg: ec2.SecurityGroup): rds.DatabaseInstance {
    const { postgres, multiAz } = config.data;
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 });
    const db = new rds.DatabaseInstance(this, 'Postgres', {
      engine,
      instanceType: new ec2.InstanceType(postgres.instanceType),
      vpc,
      vpcSubnets: { subnetGroupName: SUBNETS.data },
      securityGroups: [sg],
      publiclyAccessible: false,
      multiAz,
      // Credentials live only in Secrets Manager; the operator reads them to create per-tenant roles.
      credentials: rds.Credentials.fromGeneratedSecret('sentiment_admin'),
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: postgres.allocatedStorageGiB,
      // Autoscaling storage keeps a full disk from becoming an outage; the alarm fires long before the cap.
      maxAllocatedStorage: postgres.allocatedStorageGiB * 4,
      iamAuthentication: true,
      backupRetention: Duration.days(postgres.backupRetentionDays),
      deletionProtection: config.data.protect,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      cloudwatchLogsRetention: config.logRetention,
      parameterGroup: new rds.ParameterGroup(this, 'PostgresParams', {
        engine,
        parameters: {
          // Clients must use TLS; a plaintext connection is refused by the server, not just discouraged.
          'rds.force_ssl': '1',
          // One tenant's query that sorts or hashes beyond memory spills to temporary files on the shared
          // disk: a session may use at most a twentieth of it (in kB; a superuser-only setting, so tenant
          // roles cannot raise it), and the query fails rather than every tenant's writes.
          temp_file_limit: String(Math.floor((postgres.allocatedStorageGiB * 1024 * 1024) / 20)),
        },
      }),
      removalPolicy: config.data.protect ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    if (postgres.rotateMasterSecretDays !== undefined) {
      db.addRotationSingleUser({
        automaticallyAfter: Duration.days(postgres.rotateMasterSecretDays),
        vpcSubnets: { subnetGroupName: SUBNETS.workloads },
      });
    }
    return db;
  }

  private createRedis(
    config: PlatformConfig,
    subnets: ec2.SelectedSubnets,
    sg: ec2.SecurityGroup,
  ): [elasticache.CfnReplicationGroup, secretsmanager.Secret, elasticache.CfnUserGroup] {
    const { redis, multiAz } = config.data;
    // RBAC rather than an AUTH token: one user per tenant, each confined to its key prefix. ElastiCache
    // refuses ACL SETUSER, so the operator makes them with the ElastiCache API and adds them to this group.
    const adminName = 'sentiment-operator';
    // ElastiCache passwords: 16–128 printable characters; no punctuation keeps them URL-safe.
    const admin = new secretsmanager.Secret(this, 'RedisAdmin', {
      description:
        "The operator's ElastiCache RBAC user (it creates the tenants' users); read only by the operator",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: adminName }),
        generateStringKey: 'password',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    const prefix = `sentiment-${config.name}`;
    // A user group needs a user named `default`; ElastiCache's own has every permission and no password,
    // so the group gets one of its own that is switched off (a disabled user cannot authenticate at all).
    const defaultUser = new elasticache.CfnUser(this, 'RedisDefaultUser', {
      userId: `${prefix}-default`,
      userName: 'default',
      engine: 'redis',
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const adminUser = new elasticache.CfnUser(this, 'RedisAdminUser', {
      userId: `${prefix}-operator`,
      userName: adminName,
      engine: 'redis',
      accessString: 'on ~* &* +@all',
      authenticationMode: {
        Type: 'password',
        Passwords: [admin.secretValueFromJson('password').unsafeUnwrap()],
      },
    });
    // Only these two are the template's: tenant users are added and removed by the operator at run time.
    const users = new elasticache.CfnUserGroup(this, 'RedisUsers', {
      userGroupId: prefix,
      engine: 'redis',
      userIds: [defaultUser.userId, adminUser.userId],
    });
    users.addDependency(defaultUser);
    users.addDependency(adminUser);
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'Isolated data subnets',
      subnetIds: subnets.subnetIds,
    });
    const group = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'Shared Redis (cache, queues) for all tenants',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: redis.nodeType,
      numCacheClusters: multiAz ? 2 : 1,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [sg.securityGroupId],
      port: PORTS.redis,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      userGroupIds: [users.ref],
      snapshotRetentionLimit: multiAz ? 7 : 1,
    });
    return [group, admin, users];
  }

  private createSearch(
    config: PlatformConfig,
    vpc: ec2.IVpc,
    subnets: ec2.SelectedSubnets,
    sg: ec2.SecurityGroup,
  ): [opensearch.Domain, secretsmanager.Secret] {
    const { opensearch: search, multiAz } = config.data;
    const nodes = multiAz ? 2 : 1;
    // OpenSearch master passwords need upper, lower, digit and symbol; exclude characters that break URLs/JSON.
    const master = new secretsmanager.Secret(this, 'SearchMaster', {
      description:
        'OpenSearch fine-grained-access-control master user; the operator creates per-tenant roles',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'sentiment_admin' }),
        generateStringKey: 'password',
        passwordLength: 32,
        requireEachIncludedType: true,
        excludeCharacters: '"@/\\\'`:$%&?#',
      },
    });
    const domain = new opensearch.Domain(this, 'Search', {
      version: opensearch.EngineVersion.OPENSEARCH_2_17,
      capacity: {
        dataNodeInstanceType: search.instanceType,
        dataNodes: nodes,
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: search.volumeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: multiAz ? { enabled: true, availabilityZoneCount: 2 } : { enabled: false },
      vpc,
      // A domain takes exactly one subnet per node AZ.
      vpcSubnets: [{ subnets: subnets.subnets.slice(0, nodes) }],
      securityGroups: [sg],
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: {
        masterUserName: 'sentiment_admin',
        masterUserPassword: master.secretValueFromJson('password'),
      },
      logging: { slowSearchLogEnabled: true, slowIndexLogEnabled: true, appLogEnabled: true },
      removalPolicy: config.data.protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The operator and tenants authenticate as FGAC internal users (HTTP basic auth over TLS). Those requests are
    // unsigned, so the resource policy must let them through to FGAC; the network path is the security group.
    domain.addAccessPolicies(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['es:ESHttp*'],
        resources: [`${domain.domainArn}/*`],
      }),
    );
    return [domain, master];
  }
}
