// The test cluster as its users meet it: kubectl and helm against the API server, Kubernetes clients,
// and waiting on what real controllers and the kubelet report. Nothing here writes status.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { TENANT_NAMESPACE_LABEL } from '@sentiment/crds';
import pgPkg from 'pg';
import { getPlatform as getPlatformOf, loadTestEnv, run as runCommand, waitFor } from '@sentiment/testenv';

export { condition, waitFor } from '@sentiment/testenv';

export const env = loadTestEnv();
export const REPO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
export const core = kc.makeApiClient(CoreV1Api);
export const apps = kc.makeApiClient(AppsV1Api);
export const custom = kc.makeApiClient(CustomObjectsApi);
export const getPlatform = (namespace: string, name: string) => getPlatformOf(custom, namespace, name);
export const coordination = kc.makeApiClient(CoordinationV1Api);
export const autoscaling = kc.makeApiClient(AutoscalingV2Api);

const run = (cmd: string, args: string[], input?: string) =>
  runCommand(cmd, args, input, { KUBECONFIG: env.KUBECONFIG });

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export const kubectl = (args: string[], input?: string) => must(env.KUBECTL, args, input);
export const kubectlResult = (args: string[], input?: string) => run(env.KUBECTL, args, input);
export const helm = (args: string[]) => must(env.HELM, args);

/** A DNS-label name unique to this run. */
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** A namespace enforcing the `restricted` Pod Security Standard, as the tenant chart makes them. */
export async function restrictedNamespace(name: string): Promise<string> {
  await kubectl(['create', 'namespace', name]);
  await kubectl(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted']);
  return name;
}

/** A tenant's namespace as the tenant chart makes it: restricted, and labelled so the operator may write there. */
export async function tenantNamespace(name: string): Promise<string> {
  await restrictedNamespace(name);
  await kubectl(['label', 'namespace', name, `${TENANT_NAMESPACE_LABEL}=true`]);
  return name;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function podsOf(namespace: string, selector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
}

export const podReady = (p: V1Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** What went wrong with pods that are not Ready: their phase, waiting reasons and last events, for failure messages. */
export async function describePods(namespace: string, selector: string): Promise<string> {
  const pods = await podsOf(namespace, selector);
  const events = (await core.listNamespacedEvent({ namespace })).items;
  return pods
    .map((p) => {
      const name = p.metadata!.name!;
      const states = (p.status?.containerStatuses ?? [])
        .map(
          (c) =>
            `${c.name}: ${c.state?.waiting?.reason ?? (c.state?.running ? 'running' : c.state?.terminated?.reason)} restarts=${c.restartCount}`,
        )
        .join(', ');
      const last = events
        .filter((e) => e.involvedObject?.name === name)
        .slice(-3)
        .map((e) => `${e.reason}: ${e.message}`)
        .join(' | ');
      return `${name} ${p.status?.phase} [${states}] ${last}`;
    })
    .join('\n')
    .concat(pods.some((p) => p.status?.phase === 'Pending') ? `\n${await nodeLoad()}` : '');
}

/**
 * Waits until no pod outside kube-system is left on the node: earlier suites delete their namespaces
 * without waiting, and their terminating pods still hold the CPU they requested, which the tenants here
 * need (the node has 2 CPUs).
 */
export async function quietNode(timeoutMs = 180_000): Promise<void> {
  const others = async () =>
    (await core.listPodForAllNamespaces()).items.filter(
      (p) =>
        p.metadata!.namespace !== 'kube-system' &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    );
  await waitFor('no pods left by earlier suites', async () => (await others()).length === 0, timeoutMs).catch(
    async (err: Error) => {
      const left = (await others()).map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`);
      throw new Error(`${err.message}: ${left.join(', ')}\n${await nodeLoad()}`);
    },
  );
}

/** The node's pods and what they request against what it has: why a pod cannot be scheduled. */
async function nodeLoad(): Promise<string> {
  const described = await kubectl(['describe', 'node']).catch((err: Error) => err.message);
  const from = described.indexOf('Non-terminated Pods:');
  const to = described.indexOf('Events:', from);
  return from < 0 ? described : described.slice(from, to < 0 ? undefined : to);
}

/** The Service's ClusterIP address (the host routes the service range through the node, where kube-proxy DNATs it). */
export async function serviceUrl(namespace: string, name: string): Promise<string> {
  const svc = await core.readNamespacedService({ namespace, name });
  const port = svc.spec!.ports![0]!.port;
  return `http://${svc.spec!.clusterIP}:${port}`;
}

export async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const s = await core.readNamespacedSecret({ namespace, name });
  return Object.fromEntries(
    Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** Whether the shared Postgres holds a tenant's database and role (its id from tenantIdentity): 1 or 0 each. */
export async function tenantData(id: string): Promise<{ database: number; role: number }> {
  const pg = new pgPkg.Client({ connectionString: env.DATABASE_URL });
  await pg.connect();
  try {
    const database = await pg.query('select 1 from pg_database where datname = $1', [id]);
    const role = await pg.query('select 1 from pg_roles where rolname = $1', [id]);
    return { database: database.rowCount ?? 0, role: role.rowCount ?? 0 };
  } finally {
    await pg.end();
  }
}
