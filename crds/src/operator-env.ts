// The operator Deployment's environment: what the operator chart sets and `sentiment-operator run` reads.

/** Admin connection URLs of self-managed data services (from a Kubernetes Secret, dataServices.existingSecret). */
export const OPERATOR_ADMIN_URL_ENV = {
  postgres: 'OPERATOR_POSTGRES_ADMIN_URL',
  redis: 'OPERATOR_REDIS_ADMIN_URL',
  opensearch: 'OPERATOR_OPENSEARCH_URL',
} as const;

/**
 * The managed data services of a CDK-built environment (chart values `platform.*`, written by the infra):
 * where each one is, and the Secrets Manager secret that holds its admin credentials.
 */
export const OPERATOR_MANAGED_ENV = {
  postgresHost: 'OPERATOR_POSTGRES_HOST',
  postgresPort: 'OPERATOR_POSTGRES_PORT',
  postgresSecretArn: 'OPERATOR_POSTGRES_SECRET_ARN',
  redisHost: 'OPERATOR_REDIS_HOST',
  redisPort: 'OPERATOR_REDIS_PORT',
  redisSecretArn: 'OPERATOR_REDIS_SECRET_ARN',
  /** ElastiCache RBAC: the user group of the replication group, which tenant users are added to. */
  redisUserGroupId: 'OPERATOR_REDIS_USER_GROUP_ID',
  opensearchEndpoint: 'OPERATOR_OPENSEARCH_ENDPOINT',
  opensearchSecretArn: 'OPERATOR_OPENSEARCH_SECRET_ARN',
} as const;

/** The ALB IngressGroup every HTTPS tenant joins (chart value `ingressGroup`, flag --ingress-group). */
export const OPERATOR_INGRESS_GROUP_ENV = 'INGRESS_GROUP';
/** One shared load balancer per cluster unless an installation names its group otherwise. */
export const DEFAULT_INGRESS_GROUP = 'sentiment-platform';
/** What the AWS Load Balancer Controller accepts as a group name (the chart's values schema says the same). */
export const INGRESS_GROUP_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$';

/**
 * The environment variables `sentiment-operator run` reads its install-wide synth settings from when the
 * flag is not given (the kubectl plugin reads them from the operator's Deployment to render as it does).
 */
export const OPERATOR_SYNTH_ENV = {
  dashboardOrigins: 'DASHBOARD_ORIGINS',
  defaultImages: 'DEFAULT_IMAGES',
  dataCaFile: 'OPERATOR_DATA_CA_FILE',
  ingressGroup: OPERATOR_INGRESS_GROUP_ENV,
  tenantMonitoring: 'TENANT_MONITORING',
  prometheusNamespace: 'PROMETHEUS_NAMESPACE',
  /** The Prometheus HTTP API KEDA queries to autoscale self-hosted LLMs (llm.selfHosted.autoscaling). */
  prometheusUrl: 'PROMETHEUS_URL',
  workerScaling: 'WORKER_SCALING',
  /** Where tenants' backups go unless their spec names a bucket (spec.backup). */
  backupBucket: 'OPERATOR_BACKUP_BUCKET',
  backupRegion: 'OPERATOR_BACKUP_REGION',
  /** An S3/STS endpoint for the backup pods (a VPC endpoint's or a stand-in's); default: the SDK's. */
  backupEndpointUrl: 'OPERATOR_BACKUP_ENDPOINT_URL',
  /** Per-tenant backup roles (backup.ts BACKUP_ROLE_PATH): the role-name prefix of this installation… */
  backupRolePrefix: 'OPERATOR_BACKUP_ROLE_PREFIX',
  /** …the permissions boundary every such role gets (the operator may create roles only with it)… */
  backupRoleBoundaryArn: 'OPERATOR_BACKUP_ROLE_BOUNDARY_ARN',
  /** …and the cluster's IAM OIDC provider, which the roles trust (IRSA); its ARN gives account and partition. */
  backupOidcProviderArn: 'OPERATOR_BACKUP_OIDC_PROVIDER_ARN',
  /** The model cache (model-cache.ts): the bucket self-hosted LLMs' weights are kept in, its region… */
  modelCacheBucket: 'OPERATOR_MODEL_CACHE_BUCKET',
  modelCacheRegion: 'OPERATOR_MODEL_CACHE_REGION',
  /** …an S3/STS endpoint for its pods (a VPC endpoint's or a stand-in's; default: the SDK's)… */
  modelCacheEndpointUrl: 'OPERATOR_MODEL_CACHE_ENDPOINT_URL',
  /** …the Hub the seed Jobs copy from (a mirror or proxy of huggingface.co; default: the Hub itself)… */
  modelCacheHubEndpoint: 'OPERATOR_MODEL_CACHE_HUB_ENDPOINT',
  /** …and the IAM roles its readers (LLM pods) and seed Jobs assume (IRSA). */
  modelCacheReaderRoleArn: 'OPERATOR_MODEL_CACHE_READER_ROLE_ARN',
  modelCacheSeederRoleArn: 'OPERATOR_MODEL_CACHE_SEEDER_ROLE_ARN',
} as const;
