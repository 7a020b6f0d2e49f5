// The install-wide synth options (SynthOptions) of the operator running in the cluster, so that describe
// synthesizes what it would. `run` takes each from its flag, else from an environment variable
// (commands/run.ts); the chart passes them as flags, the data CA as a file mounted from a ConfigMap
// (charts/sentiment-operator/templates/deployment.yaml). Read here from that Deployment; the plugin's own
// flags override it option by option. Tenant monitoring and the worker's KEDA scaling also depend on what
// the cluster serves, which the operator asks discovery at start and this asks now.
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_IMAGES, LABELS, OPERATOR_SYNTH_ENV, PART_OF, SYSTEM_NAMESPACE } from '@sentiment/crds';
import { dashboardOrigins } from '../commands/dashboard-origins.js';
import { dataCa } from '../commands/data-ca.js';
import { defaultImages } from '../commands/default-images.js';
import { ingressGroup } from '../commands/ingress-group.js';
import { CommandError } from '../commands/manifests.js';
import { statusCode } from '../kube/client.js';
import { servesKinds } from '../kube/discovery.js';
import {
  KEDA_KINDS,
  MONITORING_KINDS,
  OWNED_KINDS,
  namespacedPath,
  objectPath,
  type ResourceKind,
} from '../kube/resources.js';
import { BACKUP_FLAGS, backupFlags, backupOptions } from '../commands/backup-options.js';
import { MODEL_CACHE_FLAGS, modelCacheOptions, modelCacheSettings } from '../commands/model-cache-options.js';
import { prometheusUrl } from '../commands/prometheus-url.js';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  capabilityOptions,
  type BackupOptions,
  type SynthOptions,
} from '../synth/index.js';
import { get, getIfExists } from './kube.js';

/** run's options that shape what synth builds, spelled as run spells them. */
const RUN_OPTIONS = {
  'dashboard-origin': { type: 'string', multiple: true },
  'default-image': { type: 'string', multiple: true },
  'data-ca-file': { type: 'string' },
  'ingress-group': { type: 'string' },
  'tenant-monitoring': { type: 'string' },
  'prometheus-namespace': { type: 'string' },
  'prometheus-url': { type: 'string' },
  'worker-scaling': { type: 'string' },
  ...BACKUP_FLAGS,
  ...MODEL_CACHE_FLAGS,
} as const;

/** The options describe takes for this, spread into its parseOptions. */
export const SYNTH_OPTIONS = {
  'operator-namespace': { type: 'string' },
  'operator-deployment': { type: 'string' },
  ...RUN_OPTIONS,
} as const;

/** How the chart labels the operator Deployment, whatever the release's name. */
const OPERATOR_SELECTOR = `${LABELS.component}=operator,${LABELS.partOf}=${PART_OF}`;

export const SYNTH_HELP = `The operator's install-wide options (run's flags below) are read from its Deployment in the
cluster, the one in --operator-namespace labelled
${OPERATOR_SELECTOR}:
its container's args and literal env values (not valueFrom or envFrom), the data CA from the ConfigMap or
Secret volume that file is mounted from. Without such a Deployment (none there, no read access, an
operator run outside the cluster) run's defaults apply. Each of run's flags given here replaces the
Deployment's value of that option. Tenant monitoring (ServiceMonitor, PrometheusRule) is on where its mode
is auto and the cluster serves the Prometheus Operator's CRDs now (the operator looked when it started);
likewise the worker's queue-driven scaling (ScaledObject) where worker scaling is auto and KEDA's are served.
  --operator-namespace NS   where the operator Deployment is (default ${SYSTEM_NAMESPACE}, the chart's)
  --operator-deployment NAME
                            that Deployment by name (when several carry the labels)
run's flags:
  --dashboard-origin URL    repeatable or comma-separated
  --default-image NAME=REF  NAME one of ${Object.keys(DEFAULT_IMAGES).join(', ')}; repeatable
  --data-ca-file PATH       the data services' CA bundle (PEM)
  --ingress-group NAME      the ALB IngressGroup HTTPS tenants share
  --tenant-monitoring MODE  auto or off
  --prometheus-namespace NS the namespace Prometheus scrapes from
  --prometheus-url URL      the Prometheus API KEDA queries for LLM autoscaling
  --worker-scaling MODE     auto or off
  --backup-bucket, --backup-region, --backup-endpoint-url, --backup-role-prefix, --backup-role-boundary,
  --backup-oidc-provider    where tenants' backups go, and with which identity
  --model-cache-bucket, --model-cache-region, --model-cache-endpoint-url, --model-cache-hub-endpoint,
  --model-cache-reader-role, --model-cache-seeder-role
                            the S3 model cache of self-hosted LLMs`;

/** The environment variables run falls back to, by option. */
const ENV = OPERATOR_SYNTH_ENV;

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

type KeyToPath = { key: string; path: string }[];

interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath };
  secret?: { secretName: string; items?: KeyToPath };
}

export interface OperatorDeployment {
  metadata: { name: string; namespace: string };
  spec?: { template?: { spec?: { containers?: Container[]; volumes?: Volume[] } } };
}

/**
 * The operator's settings as its container states them. Options whose helper takes flag and env apart
 * (run passes both to it) keep them apart; the others are run's `flag ?? env`.
 */
export interface OperatorSettings {
  dashboardOrigins: { flags: string[]; env?: string };
  defaultImages: { flags: string[]; env?: string };
  ingressGroup: { flag?: string; env?: string };
  /** The path run reads the CA bundle from. */
  dataCaFile?: string;
  tenantMonitoring?: string;
  prometheusNamespace?: string;
  prometheusUrl?: string;
  workerScaling?: string;
  backup: BackupOptions;
  /** The --model-cache-* values as given (flag, else env), checked when the options are built. */
  modelCache: ReturnType<typeof modelCacheSettings>;
}

function operatorContainer(d: OperatorDeployment): Container | undefined {
  const containers = d.spec?.template?.spec?.containers ?? [];
  return containers.find((c) => c.name === 'operator') ?? containers[0];
}

export function operatorSettings(d: OperatorDeployment): OperatorSettings {
  const c = operatorContainer(d);
  // Lenient: run's other flags are no concern here, and the command's words are positionals.
  const { values } = parseArgs({
    args: [...(c?.command ?? []), ...(c?.args ?? [])],
    options: RUN_OPTIONS,
    strict: false,
  });
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  const string = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const env = (name: string) => c?.env?.find((e) => e.name === name)?.value;
  return {
    dashboardOrigins: { flags: strings(values['dashboard-origin']), env: env(ENV.dashboardOrigins) },
    defaultImages: { flags: strings(values['default-image']), env: env(ENV.defaultImages) },
    ingressGroup: { flag: string(values['ingress-group']), env: env(ENV.ingressGroup) },
    dataCaFile: string(values['data-ca-file']) ?? env(ENV.dataCaFile),
    tenantMonitoring: string(values['tenant-monitoring']) ?? env(ENV.tenantMonitoring),
    prometheusNamespace: string(values['prometheus-namespace']) ?? env(ENV.prometheusNamespace),
    prometheusUrl: string(values['prometheus-url']) ?? env(ENV.prometheusUrl),
    workerScaling: string(values['worker-scaling']) ?? env(ENV.workerScaling),
    backup: backupOptions(backupFlags(values), env),
    modelCache: modelCacheSettings(values, env),
  };
}

/** The ConfigMap or Secret key a file of the operator container is mounted from, if it is. */
export function fileSource(
  d: OperatorDeployment,
  path: string,
): { kind: 'ConfigMap' | 'Secret'; name: string; key: string } | undefined {
  for (const mount of operatorContainer(d)?.volumeMounts ?? []) {
    const dir = mount.mountPath.replace(/\/$/, '');
    const rel = mount.subPath
      ? path === mount.mountPath && mount.subPath
      : path.startsWith(`${dir}/`) && path.slice(dir.length + 1);
    if (!rel) continue;
    const volume = d.spec?.template?.spec?.volumes?.find((v) => v.name === mount.name);
    const source = volume?.configMap
      ? { kind: 'ConfigMap' as const, name: volume.configMap.name, items: volume.configMap.items }
      : volume?.secret
        ? { kind: 'Secret' as const, name: volume.secret.secretName, items: volume.secret.items }
        : undefined;
    if (!source) return undefined;
    const key = source.items ? source.items.find((i) => i.path === rel)?.key : rel;
    return key && !key.includes('/') ? { kind: source.kind, name: source.name, key } : undefined;
  }
  return undefined;
}

export type SynthFlags = {
  [K in keyof typeof SYNTH_OPTIONS]?: (typeof SYNTH_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : string;
};

/** The operator Deployment, or why there is none to read. */
async function findOperator(
  kc: KubeConfig,
  flags: SynthFlags,
): Promise<{ deployment?: OperatorDeployment; missing?: string }> {
  const namespace = flags['operator-namespace'] ?? SYSTEM_NAMESPACE;
  const named = flags['operator-deployment'];
  if (named !== undefined)
    return { deployment: await get(kc, objectPath('apps/v1', 'Deployment', namespace, named)) };
  let items: OperatorDeployment[];
  try {
    ({ items } = await get<{ items: OperatorDeployment[] }>(
      kc,
      namespacedPath('apps/v1', 'Deployment', namespace),
      { labelSelector: OPERATOR_SELECTOR },
    ));
  } catch (err) {
    if (statusCode(err) !== 403) throw err;
    return { missing: `no access to Deployments in ${namespace}` };
  }
  if (items.length > 1)
    throw new CommandError(
      `several operator Deployments in ${namespace} (${items.map((d) => d.metadata.name).join(', ')}): choose one with --operator-deployment`,
      1,
    );
  return items[0] ? { deployment: items[0] } : { missing: `no operator Deployment in ${namespace}` };
}

/** The CA bundle the operator reads from `path`, fetched from the volume it is mounted from. */
async function operatorCa(kc: KubeConfig, d: OperatorDeployment, path: string): Promise<string> {
  const source = fileSource(d, path);
  const object =
    source &&
    (await getIfExists<{ data?: Record<string, string> }>(
      kc,
      objectPath('v1', source.kind, d.metadata.namespace, source.name),
    ));
  const value = source && object?.data?.[source.key];
  if (!source || value === undefined)
    throw new CommandError(
      `the operator reads its data CA from ${path}, which is not a ConfigMap or Secret key this plugin can read: give --data-ca-file`,
      1,
    );
  return source.kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

export interface OperatorSynth {
  options: SynthOptions;
  /** The kinds the operator caches, so prunes: the monitoring and KEDA ones only where it writes them. */
  kinds: readonly ResourceKind[];
  /** Where the options came from, in words. */
  source: string;
}

export async function operatorSynth(kc: KubeConfig, flags: SynthFlags): Promise<OperatorSynth> {
  const { deployment, missing } = await findOperator(kc, flags);
  const s = deployment && operatorSettings(deployment);
  const given = (Object.keys(RUN_OPTIONS) as (keyof typeof RUN_OPTIONS)[]).filter(
    (k) => flags[k] !== undefined,
  );
  // The Deployment's values were checked by the operator at start; a mistake there is no usage error here.
  const fromOperator = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      throw new CommandError(`operator Deployment ${deployment?.metadata.name}: ${err.message}`, 1);
    }
  };
  const caFile = flags['data-ca-file'];
  /** An auto|off option and whether the cluster serves its kinds now (never asked when off). */
  const optional = async (
    flag: 'tenant-monitoring' | 'worker-scaling',
    saved: string | undefined,
    kinds: readonly ResourceKind[],
  ) => {
    const mode = flags[flag] ?? saved ?? 'auto';
    if (mode !== 'auto' && mode !== 'off')
      throw new CommandError(`--${flag} must be auto or off, got "${mode}"`, flags[flag] ? 2 : 1);
    return { mode, served: mode === 'auto' && (await servesKinds((path) => get(kc, path), kinds)) };
  };
  const { mode, served: monitored } = await optional(
    'tenant-monitoring',
    s?.tenantMonitoring,
    MONITORING_KINDS,
  );
  const { mode: scaling, served: keda } = await optional('worker-scaling', s?.workerScaling, KEDA_KINDS);
  const modelCache = fromOperator(() =>
    modelCacheOptions({ ...s?.modelCache, ...modelCacheSettings(flags, () => undefined) }),
  );
  const options: SynthOptions = {
    dashboardOrigins: flags['dashboard-origin']
      ? dashboardOrigins(flags['dashboard-origin'])
      : fromOperator(() => dashboardOrigins(s?.dashboardOrigins.flags, s?.dashboardOrigins.env)),
    defaultImages: flags['default-image']
      ? defaultImages(flags['default-image'])
      : fromOperator(() => defaultImages(s?.defaultImages.flags, s?.defaultImages.env)),
    ingressGroup: flags['ingress-group']
      ? ingressGroup(flags['ingress-group'])
      : fromOperator(() => ingressGroup(s?.ingressGroup.flag, s?.ingressGroup.env)),
    dataServicesCa: caFile
      ? dataCa(caFile)
      : deployment && s?.dataCaFile
        ? await operatorCa(kc, deployment, s.dataCaFile)
        : undefined,
    backup: {
      ...s?.backup,
      ...backupOptions(flags, () => undefined),
    },
    ...(modelCache && { modelCache }),
    ...prometheusUrl(flags['prometheus-url'] ?? s?.prometheusUrl),
    ...capabilityOptions(
      { prometheusOperator: monitored, keda },
      flags['prometheus-namespace'] ?? s?.prometheusNamespace ?? DEFAULT_PROMETHEUS_NAMESPACE,
    ),
  };
  const flagList = given.map((k) => `--${k}`).join(', ');
  const origin = deployment
    ? `operator Deployment ${deployment.metadata.namespace}/${deployment.metadata.name}${given.length ? `, overridden by ${flagList}` : ''}`
    : `${given.length ? `${flagList} and ` : ''}run's defaults (${missing})`;
  const monitoring = monitored
    ? 'on'
    : mode === 'off'
      ? 'off'
      : 'off (the cluster serves no Prometheus Operator CRDs)';
  const workerScaling = keda
    ? 'KEDA'
    : scaling === 'off'
      ? 'off (CPU)'
      : 'CPU (the cluster serves no KEDA CRDs)';
  return {
    options,
    kinds: [...OWNED_KINDS, ...(monitored ? MONITORING_KINDS : []), ...(keda ? KEDA_KINDS : [])],
    source: `${origin}; tenant monitoring ${monitoring}; worker scaling ${workerScaling}`,
  };
}
