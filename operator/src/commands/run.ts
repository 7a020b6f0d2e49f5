// `sentiment-operator run`: the controller, in-cluster or against KUBECONFIG.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { IAMClient } from '@aws-sdk/client-iam';
import { KubeConfig } from '@kubernetes/client-node';
import {
  BACKUP_ROLE_PATH,
  DEFAULT_IMAGES,
  OPERATOR_SYNTH_ENV,
  ROLLOUT_LABEL,
  SYSTEM_NAMESPACE,
} from '@sentiment/crds';
import { pino } from 'pino';
import { estimateMonthlyCost } from '../cost/index.js';
import { Manager } from '../manager.js';
import { BackupRoles } from '../tenancy/backup-role.js';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  capabilityOptions,
  synthesizePlatform,
  type SynthOptions,
} from '../synth/index.js';
import { BACKUP_FLAGS, backupOptions } from './backup-options.js';
import { MODEL_CACHE_FLAGS, modelCacheOptions, modelCacheSettings } from './model-cache-options.js';
import { dashboardOrigins } from './dashboard-origins.js';
import { dataCa } from './data-ca.js';
import { dataServicesFromEnv } from './data-services.js';
import { defaultImages } from './default-images.js';
import { ingressGroup } from './ingress-group.js';
import { prometheusUrl } from './prometheus-url.js';

/** Platforms labelled so take a new template first. */
const DEFAULT_CANARY_LABEL = `${ROLLOUT_LABEL}=canary`;

const HELP = `usage: sentiment-operator run [options]

Reconciles SentimentPlatform objects. Kubernetes access: --kubeconfig, else $KUBECONFIG, else in-cluster.
Shared data services the operator provisions tenants in (admin credentials; never logged), each either
  by admin URL:  OPERATOR_POSTGRES_ADMIN_URL, OPERATOR_REDIS_ADMIN_URL, OPERATOR_OPENSEARCH_URL
  or managed, its admin credentials in a Secrets Manager secret (the CDK app's; read with the pod's AWS
  identity, read again when the service refuses them):
                 OPERATOR_POSTGRES_HOST, _PORT, _SECRET_ARN (RDS: JSON username/password)
                 OPERATOR_REDIS_HOST, _PORT, _SECRET_ARN, _USER_GROUP_ID (ElastiCache with RBAC:
                 the operator's user, JSON username/password; TLS; tenant users made with the
                 ElastiCache API and added to the user group)
                 OPERATOR_OPENSEARCH_ENDPOINT, _SECRET_ARN (FGAC master user: JSON username/password)

options:
  --kubeconfig PATH          kubeconfig file
  --namespaces a,b           watch only these namespaces (default: all; env WATCH_NAMESPACES)
  --concurrency N            concurrent reconciles (default 4)
  --http-port N              /healthz /readyz /metrics (default 8080; 0 = any free port)
  --no-leader-elect          run without leader election (a single replica)
  --lease-namespace NS       namespace of the leader Lease (default $POD_NAMESPACE or ${SYSTEM_NAMESPACE})
  --lease-name NAME          (default sentiment-operator)
  --lease-duration-ms N      (default 15000; renew deadline 2/3, retry 1/5 of it)
  --identity ID              leader election identity (default $POD_NAME or hostname-pid)
  --resync-ms N              reconcile every platform at least this often (default 600000)
  --log-level LEVEL          pino level (default info; env LOG_LEVEL)
  --dashboard-origin URL     origin of the dashboard SPA that every tenant API allows (CORS_ORIGINS), e.g.
                             https://d123.cloudfront.net; repeatable or comma-separated (env DASHBOARD_ORIGINS)
  --default-image NAME=REF   image tenants get unless their spec pins one, NAME one of ${Object.keys(DEFAULT_IMAGES).join(', ')}
                             (e.g. a mirror in your registry); repeatable (env DEFAULT_IMAGES)
  --data-ca-file PATH        CA bundle (PEM) the data services' certificates chain to, given to every
                             platform's api and worker (env OPERATOR_DATA_CA_FILE); the operator's own
                             connections trust it through NODE_EXTRA_CA_CERTS
  --ingress-group NAME       ALB IngressGroup that every HTTPS tenant joins: one load balancer for the
                             cluster (default sentiment-platform; env INGRESS_GROUP)
  --tenant-monitoring MODE   auto: where the cluster serves the Prometheus Operator's CRDs (found at start),
                             every tenant gets a ServiceMonitor and a PrometheusRule; off: never
                             (default auto; env TENANT_MONITORING)
  --prometheus-namespace NS  namespace Prometheus scrapes from: the tenants' pods admit it on their HTTP
                             port (default monitoring; env PROMETHEUS_NAMESPACE)
  --prometheus-url URL       the Prometheus HTTP API (e.g. http://prometheus-operated.monitoring:9090) that
                             KEDA queries to autoscale self-hosted LLMs (llm.selfHosted.autoscaling); unset,
                             or without KEDA, those run max(min, 1) servers (env PROMETHEUS_URL)
  --rollout-wave-size N      a new template (operator version, default images, data CA) reaches canary
                             platforms first, then N platforms at a time, each wave once the one before is
                             Ready; 0: every platform at once (default 10; env ROLLOUT_WAVE_SIZE)
  --rollout-canary-label K=V label of the canary platforms (default ${DEFAULT_CANARY_LABEL})
  --rollout-progress-deadline S  an admitted platform not Ready after S seconds halts the rollout, as one
                             that turns Degraded does (default 600)
  --rollout-namespace NS     namespace of the rollout's ConfigMap (default: the lease namespace)
  --backup-bucket NAME       S3 bucket of the tenants' backups (spec.backup) unless a spec names its own;
                             each tenant writes under <namespace>/<tenant id>/ with its pods' IAM role
                             (env OPERATOR_BACKUP_BUCKET)
  --backup-region REGION     AWS_REGION of the backup pods (default: the IRSA webhook's; env
                             OPERATOR_BACKUP_REGION)
  --backup-endpoint-url URL  AWS_ENDPOINT_URL of the backup pods, e.g. an S3 VPC endpoint (env
                             OPERATOR_BACKUP_ENDPOINT_URL)
  --backup-role-prefix P     per-tenant backup roles: for every platform with backups the operator creates
  --backup-role-boundary ARN an IAM role named P<digest> under ${BACKUP_ROLE_PATH}, with this permissions
  --backup-oidc-provider ARN boundary, that only the platform's backup ServiceAccount may assume (IRSA,
                             trusting this OIDC provider) and that reaches only its prefix; deleted with
                             the platform. All three or none (none: the tenant ServiceAccount's role)
                             (env OPERATOR_BACKUP_ROLE_PREFIX, OPERATOR_BACKUP_ROLE_BOUNDARY_ARN,
                             OPERATOR_BACKUP_OIDC_PROVIDER_ARN)
  --model-cache-bucket NAME  S3 bucket of self-hosted LLMs' weights: a Job per model copies them from the Hub
                             once (the tenant's HF_TOKEN), every LLM pod copies them from S3 onto its volume
                             before the server starts, so a spot replacement does not download from the Hub
                             (env OPERATOR_MODEL_CACHE_BUCKET); unset: servers download at every start
  --model-cache-region REGION, --model-cache-endpoint-url URL
                             AWS_REGION and AWS_ENDPOINT_URL of those pods (env OPERATOR_MODEL_CACHE_REGION,
                             OPERATOR_MODEL_CACHE_ENDPOINT_URL)
  --model-cache-hub-endpoint URL
                             the Hub the seed Jobs copy from: a mirror or proxy of huggingface.co (their
                             HF_ENDPOINT; env OPERATOR_MODEL_CACHE_HUB_ENDPOINT)
  --model-cache-reader-role ARN, --model-cache-seeder-role ARN
                             IAM roles (IRSA) of the LLM pods (ServiceAccount <platform>-llm, read only) and
                             of the seed Jobs (<platform>-model-seed) (env OPERATOR_MODEL_CACHE_READER_ROLE_ARN,
                             OPERATOR_MODEL_CACHE_SEEDER_ROLE_ARN)
  --worker-scaling MODE      auto: where the cluster serves KEDA's CRDs (found at start), an autoscaled
                             worker scales on its queue (a ScaledObject, down to zero if its min is 0);
                             off, or without KEDA: on CPU (an HPA) (default auto; env WORKER_SCALING)
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespaces: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'http-port': { type: 'string', default: '8080' },
      'no-leader-elect': { type: 'boolean', default: false },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string', default: 'sentiment-operator' },
      'lease-duration-ms': { type: 'string', default: '15000' },
      identity: { type: 'string' },
      'resync-ms': { type: 'string', default: '600000' },
      'log-level': { type: 'string' },
      'dashboard-origin': { type: 'string', multiple: true },
      'default-image': { type: 'string', multiple: true },
      'data-ca-file': { type: 'string' },
      'ingress-group': { type: 'string' },
      'tenant-monitoring': { type: 'string' },
      'prometheus-namespace': { type: 'string' },
      'prometheus-url': { type: 'string' },
      'worker-scaling': { type: 'string' },
      'rollout-wave-size': { type: 'string' },
      'rollout-canary-label': { type: 'string', default: DEFAULT_CANARY_LABEL },
      'rollout-progress-deadline': { type: 'string', default: '600' },
      'rollout-namespace': { type: 'string' },
      ...BACKUP_FLAGS,
      ...MODEL_CACHE_FLAGS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let synthOptions: SynthOptions;
  try {
    synthOptions = {
      dashboardOrigins: dashboardOrigins(
        values['dashboard-origin'],
        process.env[OPERATOR_SYNTH_ENV.dashboardOrigins],
      ),
      defaultImages: defaultImages(values['default-image'], process.env[OPERATOR_SYNTH_ENV.defaultImages]),
      dataServicesCa: dataCa(values['data-ca-file'] ?? process.env[OPERATOR_SYNTH_ENV.dataCaFile]),
      ingressGroup: ingressGroup(values['ingress-group'], process.env[OPERATOR_SYNTH_ENV.ingressGroup]),
      ...prometheusUrl(values['prometheus-url'] ?? process.env[OPERATOR_SYNTH_ENV.prometheusUrl]),
      backup: backupOptions(values, (name) => process.env[name]),
    };
    const modelCache = modelCacheOptions(modelCacheSettings(values, (name) => process.env[name]));
    if (modelCache) synthOptions.modelCache = modelCache;
  } catch (err) {
    process.stderr.write(`run: ${(err as Error).message}\n`);
    return 2;
  }
  const tenantMonitoring =
    values['tenant-monitoring'] ?? process.env[OPERATOR_SYNTH_ENV.tenantMonitoring] ?? 'auto';
  if (tenantMonitoring !== 'auto' && tenantMonitoring !== 'off') {
    process.stderr.write(`run: --tenant-monitoring must be auto or off, got "${tenantMonitoring}"\n`);
    return 2;
  }
  const workerScaling = values['worker-scaling'] ?? process.env[OPERATOR_SYNTH_ENV.workerScaling] ?? 'auto';
  if (workerScaling !== 'auto' && workerScaling !== 'off') {
    process.stderr.write(`run: --worker-scaling must be auto or off, got "${workerScaling}"\n`);
    return 2;
  }
  const prometheusNamespace =
    values['prometheus-namespace'] ??
    process.env[OPERATOR_SYNTH_ENV.prometheusNamespace] ??
    DEFAULT_PROMETHEUS_NAMESPACE;
  const log = pino({
    level: values['log-level'] ?? process.env.LOG_LEVEL ?? 'info',
    base: { component: 'sentiment-operator' },
    // Belt and braces: nothing logs credentials, and these paths are masked if something ever tries.
    redact: [
      '*.password',
      '*.secretData',
      '*.DATABASE_URL',
      '*.REDIS_URL',
      'postgresAdminUrl',
      'redisAdminUrl',
    ],
  });
  const kubeConfig = new KubeConfig();
  if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
  else kubeConfig.loadFromDefault();

  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  const leaseDurationMs = number('lease-duration-ms', values['lease-duration-ms']);
  const leaseNamespace = values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? SYSTEM_NAMESPACE;
  const waveSize = number(
    'rollout-wave-size',
    values['rollout-wave-size'] ?? process.env.ROLLOUT_WAVE_SIZE ?? '10',
  );
  const canaryLabel = values['rollout-canary-label']!;
  if (!/^[^=\s]+=[^=\s]*$/.test(canaryLabel))
    throw new Error(`--rollout-canary-label must be KEY=VALUE, got "${canaryLabel}"`);
  const namespaces = (values.namespaces ?? process.env.WATCH_NAMESPACES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const identity = values.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const dataServices = dataServicesFromEnv(process.env);
  const manager = new Manager({
    kubeConfig,
    log,
    synthesize: (platform, resolved, capabilities) =>
      synthesizePlatform(platform, resolved, {
        ...synthOptions,
        ...capabilityOptions(capabilities, prometheusNamespace),
      }),
    tenantMonitoring,
    workerScaling,
    rollout: waveSize > 0 && {
      waveSize,
      canaryLabel,
      progressDeadlineMs: number('rollout-progress-deadline', values['rollout-progress-deadline']) * 1000,
      namespace: values['rollout-namespace'] ?? leaseNamespace,
    },
    estimateCost: (resolved) => estimateMonthlyCost(resolved),
    namespaces,
    concurrency: number('concurrency', values.concurrency),
    identity,
    leaderElection: values['no-leader-elect']
      ? false
      : {
          namespace: leaseNamespace,
          name: values['lease-name']!,
          leaseDurationMs,
          renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
          retryPeriodMs: Math.round(leaseDurationMs / 5),
        },
    dataServices: {
      admin: dataServices.admin,
      ...(dataServices.elastiCache && { elastiCache: dataServices.elastiCache }),
    },
    ...(synthOptions.backup?.tenantRoles && {
      backupRoles: new BackupRoles({ client: new IAMClient({}), roles: synthOptions.backup.tenantRoles }),
    }),
    httpPort: number('http-port', values['http-port']),
    resyncMs: number('resync-ms', values['resync-ms']),
    backoff: { baseDelayMs: 1000, maxDelayMs: 300_000 },
    tenancyVerifyIntervalMs: 600_000,
    notReadyRequeueMs: 60_000,
    onLostLeadership: () => {
      // Exit now, as controller-runtime does: another instance may be leading, and returning through
      // run() would let running reconciles go on writing to the data services (which the client's fence
      // does not reach) while the event loop drains. The Deployment starts a fresh process, a standby.
      process.exit(1);
    },
  });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void manager.stop().then(done);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await manager.start();
  log.info(
    {
      identity,
      http: manager.httpAddress,
      leaderElection: !values['no-leader-elect'],
      dataServices: dataServices.sources,
      redisUsers: dataServices.elastiCache
        ? `ElastiCache user group ${dataServices.elastiCache.userGroupId}`
        : 'ACL SETUSER',
      dashboardOrigins: synthOptions.dashboardOrigins,
      defaultImages: synthOptions.defaultImages,
      dataServicesCa: synthOptions.dataServicesCa !== undefined,
      ingressGroup: synthOptions.ingressGroup,
      tenantMonitoring,
      prometheusNamespace,
      workerScaling,
      rolloutWaveSize: waveSize,
      backup: synthOptions.backup,
      modelCache: synthOptions.modelCache,
    },
    'operator started',
  );
  await finished;
  return 0;
}
