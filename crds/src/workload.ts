// What the operator promises the workload images (workloads/api, workloads/ml) and expects of them:
// the port they listen on, their health endpoints, and the environment they are started with.

/** Every platform HTTP container listens here; Services expose it as port 80. */
export const HTTP_PORT = 8080;
export const SERVICE_PORT = 80;
/** Liveness: the process is alive. Readiness: it can serve (its dependencies answer). */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz' } as const;
/** The API's Prometheus endpoint (for scrapers inside the cluster, never routed from the Internet). */
export const METRICS_PATH = '/metrics';

/** The API image runs the ingest worker when started with this argument. */
export const WORKER_ARGS = ['worker'] as const;

/** Environment variables set on platform containers (ConfigMap `<platform>-config` + Secret refs). */
export const ENV = {
  platform: 'SENTIMENT_PLATFORM',
  /**
   * The platform's namespace and metadata.uid. The API binds its tokens to `<namespace>/<name>` and the uid:
   * the name alone repeats across namespaces, and the uid tells a re-created platform from the old one.
   */
  namespace: 'SENTIMENT_NAMESPACE',
  platformUid: 'SENTIMENT_PLATFORM_UID',
  /** Proxies in front of the API that append to X-Forwarded-For (the Ingress's load balancer: 1; none: 0). */
  trustedProxyHops: 'TRUSTED_PROXY_HOPS',
  databaseUrl: 'DATABASE_URL',
  /** Connections each api and worker pod keeps open to the tenant's database (its share: tenancy.ts). */
  dbPoolSize: 'DB_POOL_SIZE',
  redisUrl: 'REDIS_URL',
  opensearchUrl: 'OPENSEARCH_URL',
  opensearchIndexPrefix: 'OPENSEARCH_INDEX_PREFIX',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  mlUrl: 'ML_URL',
  llmProvider: 'LLM_PROVIDER',
  llmBaseUrl: 'LLM_BASE_URL',
  llmModel: 'LLM_MODEL',
  bedrockModelId: 'BEDROCK_MODEL_ID',
  awsRegion: 'AWS_REGION',
  port: 'PORT',
  /** Origins whose pages may call the API (the dashboard on CloudFront): the operator's --dashboard-origin. */
  corsOrigins: 'CORS_ORIGINS',
} as const;

/**
 * The installation's CA bundle for the data services (the operator's --data-ca-file, e.g. the RDS CA
 * bundle, or a self-managed service's CA): a ConfigMap the operator writes per platform, mounted read-only
 * in the containers that reach the data services, with Node's NODE_EXTRA_CA_CERTS pointing at it.
 */
export const DATA_CA = {
  configMapSuffix: '-data-ca',
  key: 'ca.crt',
  mountPath: '/etc/sentiment/data-ca',
  env: 'NODE_EXTRA_CA_CERTS',
} as const;
