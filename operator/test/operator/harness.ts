// Shared by the operator's integration tests: the real API server (test/env), the CRD, an operator
// running in-process or as a process, and the audit log to count exactly the operator's requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  LABELS,
  PLURAL,
  crdYaml,
  type SentimentPlatform,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { pino } from 'pino';
import { estimateMonthlyCost } from '../../src/cost/index.js';
import { Manager } from '../../src/manager.js';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  capabilityOptions,
  synthesizePlatform,
} from '../../src/synth/index.js';
import {
  auditEvents,
  followAudit,
  getPlatform as getPlatformOf,
  isWrite,
  writesIn,
  type AuditEvent,
} from '@sentiment/testenv';
export { condition, waitFor } from '@sentiment/testenv';
import { env, kubectl } from '../synth/kube.js';

export { env, kubectl, tempNamespace } from '../synth/kube.js';

export const adminKc = new KubeConfig();
adminKc.loadFromFile(env.KUBECONFIG);
export const custom = adminKc.makeApiClient(CustomObjectsApi);
export const getPlatform = (namespace: string, name: string) => getPlatformOf(custom, namespace, name);
export const apps = adminKc.makeApiClient(AppsV1Api);
export const OPERATOR_USER = 'sentiment-operator-test';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The test data services' CA, handed to tenants' pods as the chart's dataServices.caBundle does. */
export const dataServicesCa = readFileSync(env.DATA_CA_FILE, 'utf8');

// The images built from this checkout (test/env/images), with small requests: the one test node runs the pods.
const small = { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } };
export const builtWorkloads = {
  api: { image: env.API_IMAGE, resources: small },
  worker: { image: env.API_IMAGE, resources: small },
  ml: { image: env.ML_IMAGE, resources: small },
};

export const dataServices = {
  postgresAdminUrl: env.DATABASE_URL,
  redisAdminUrl: env.REDIS_URL,
  opensearchUrl: env.OPENSEARCH_URL,
};

/** The CRD as `sentiment-operator crd` prints it, applied with kubectl (idempotent). */
export async function installCrd(): Promise<void> {
  await kubectl(
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=sentiment-operator-test-setup',
      '-f',
      '-',
    ],
    crdYaml(),
  );
  await kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${PLURAL}.${API_GROUP}`]);
}

/** An operator in this process, as the operator identity, watching only the given namespaces. */
export function startOperator(
  namespaces: string[],
  overrides: Partial<ConstructorParameters<typeof Manager>[0]> = {},
): Manager {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.OPERATOR_KUBECONFIG);
  const manager = new Manager({
    kubeConfig,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    synthesize: (p, r, capabilities) =>
      synthesizePlatform(p, r, {
        dataServicesCa,
        ...capabilityOptions(capabilities, DEFAULT_PROMETHEUS_NAMESPACE),
      }),
    estimateCost: (r) => estimateMonthlyCost(r),
    namespaces,
    concurrency: 4,
    identity: `test-${process.pid}`,
    leaderElection: false,
    dataServices,
    httpPort: 0,
    resyncMs: 3_600_000,
    backoff: { baseDelayMs: 200, maxDelayMs: 5_000 },
    tenancyVerifyIntervalMs: 3_600_000,
    notReadyRequeueMs: 3_600_000,
    ...overrides,
  });
  return manager;
}

/**
 * The operator as a separate process (the CLI), for failover and kill tests: from source through tsx,
 * or `compiled` from dist/ as the image runs it (the benchmark's memory figures need that).
 */
export function spawnOperator(
  args: string[],
  options: { compiled?: boolean } = {},
): ChildProcess & { output: () => string } {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const entry = options.compiled
    ? [join(root, 'dist', 'cli.js')]
    : ['--import=tsx', '--conditions=source', join(root, 'src', 'cli.ts')];
  const child = spawn(
    process.execPath,
    [...entry, 'run', '--kubeconfig', env.OPERATOR_KUBECONFIG, '--data-ca-file', env.DATA_CA_FILE, ...args],
    {
      env: {
        ...process.env,
        OPERATOR_POSTGRES_ADMIN_URL: env.DATABASE_URL,
        OPERATOR_REDIS_ADMIN_URL: env.REDIS_URL,
        OPERATOR_OPENSEARCH_URL: env.OPENSEARCH_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

export function platformObject(
  namespace: string,
  name: string,
  spec: SentimentPlatformSpec,
): SentimentPlatform {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'SentimentPlatform',
    metadata: { name, namespace },
    spec,
  };
}

export async function createPlatform(
  namespace: string,
  name: string,
  spec: SentimentPlatformSpec,
): Promise<SentimentPlatform> {
  return (await custom.createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    body: platformObject(namespace, name, spec),
  })) as SentimentPlatform;
}

export async function patchSpec(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await custom.patchNamespacedCustomObject(
    { group: API_GROUP, version: API_VERSION, namespace, plural: PLURAL, name, body: { spec } },
    mergePatch,
  );
}

export async function deletePlatform(namespace: string, name: string): Promise<void> {
  await custom.deleteNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace,
    plural: PLURAL,
    name,
  });
}

/** `Kind/name` of every object in the namespace that carries the platform's label. */
export async function labelled(ns: string, platform: string): Promise<string[]> {
  const out = await kubectl([
    'get',
    'deployments,services,configmaps,secrets,serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,ingresses,networkpolicies,resourcequotas,limitranges,persistentvolumeclaims,statefulsets,servicemonitors,prometheusrules',
    '-n',
    ns,
    '-l',
    `${LABELS.platform}=${platform}`,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean).sort();
}

/** The operator identity's write requests in these namespaces since `since`, read from the API server's audit log. */
export function operatorWrites(namespaces: string[], since: Date): AuditEvent[] {
  return writesIn(auditEvents(env.AUDIT_LOG, OPERATOR_USER), namespaces, since);
}

/** The operator identity's requests appended to the audit log since the last call. */
export const followOperatorRequests = (): (() => AuditEvent[]) => followAudit(env.AUDIT_LOG, OPERATOR_USER);

/** Like followOperatorRequests, only writes in these namespaces. */
export function followOperatorWrites(namespaces: string[]): () => AuditEvent[] {
  const next = followOperatorRequests();
  const since = new Date();
  return () => writesIn(next(), namespaces, since);
}

export { isWrite };
