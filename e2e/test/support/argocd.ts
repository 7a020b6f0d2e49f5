// Argo CD as its install runs it, less the API server, UI and Dex (nothing here logs in): the application
// controller, the repo server and the ApplicationSet controller, built from Argo CD's Go module by
// test/env/build-argocd.sh, as host processes against the test API server (the in-cluster destination is
// the kubeconfig's, ARGOCD_FAKE_IN_CLUSTER, as in Argo CD's own local set-up), with a Redis of their own and
// Git from a local repository (file://, as Argo CD's end-to-end tests use). Its configuration is what a
// platform team adds: the SentimentPlatform health check (examples/argocd/argocd-cm-health.yaml) and
// progressive syncs on for the ApplicationSet controller.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { run } from '@sentiment/testenv';
import { custom, env, kubectl, kubectlResult, REPO_DIR, sleep, waitFor } from './cluster.js';

export const ARGOCD_NAMESPACE = 'argocd';
const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
/** How often the controllers look at Git again (Argo CD's default is 3 minutes), so a commit lands in seconds. */
export const RESYNC_SECONDS = 10;

/** What the tests read of an Application. */
export interface ArgoApplication {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    health?: { status?: string; message?: string };
    sync?: { status?: string; revision?: string };
    resources?: { kind: string; name: string; health?: { status?: string; message?: string } }[];
  };
}

export interface ApplicationSetStatus {
  applicationStatus?: { application: string; status: string; step: string; message?: string }[];
}

export interface ArgoCd {
  /** The last lines of each process's log, for a failure's message. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export async function getApplication(name: string): Promise<ArgoApplication | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ARGOCD_NAMESPACE,
      plural: 'applications',
      name,
    })) as ArgoApplication;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function applicationSetStatus(name: string): Promise<ApplicationSetStatus | undefined> {
  const appset = (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ARGOCD_NAMESPACE,
    plural: 'applicationsets',
    name,
  })) as { status?: ApplicationSetStatus };
  return appset.status;
}

/** Argo CD's CRDs from its module, its namespace and configuration, then its three processes. */
export async function startArgoCd(): Promise<ArgoCd> {
  for (const file of readdirSync(env.ARGOCD_CRDS_DIR))
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(env.ARGOCD_CRDS_DIR, file)]);
  // Polled rather than `kubectl wait`, which fails on a CRD the API server has not given conditions yet.
  await waitFor("Argo CD's CRDs to be established", async () => {
    const crds = JSON.parse(
      await kubectl([
        'get',
        'crd',
        ...['applications', 'applicationsets', 'appprojects'].map((p) => `${p}.${GROUP}`),
        '-o',
        'json',
      ]),
    ) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
    return crds.items.every((c) =>
      c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
    );
  });
  await removeArgoNamespace();
  await kubectl(['create', 'namespace', ARGOCD_NAMESPACE]);
  // The health check exactly as a platform team merges it, and the secret every Argo CD install has.
  const cm = parse(readFileSync(join(REPO_DIR, 'examples', 'argocd', 'argocd-cm-health.yaml'), 'utf8'));
  await kubectl(['apply', '-f', '-'], stringify(cm));
  // server.secretkey: what Argo CD's API server generates at its first start (the controllers refuse to
  // read their settings without it).
  await kubectl([
    'create',
    'secret',
    'generic',
    'argocd-secret',
    '-n',
    ARGOCD_NAMESPACE,
    `--from-literal=server.secretkey=${randomBytes(32).toString('base64')}`,
  ]);
  await kubectl([
    'label',
    'secret',
    'argocd-secret',
    '-n',
    ARGOCD_NAMESPACE,
    'app.kubernetes.io/part-of=argocd',
  ]);
  // The project Argo CD's API server makes at its first start (not run here); the root Application is in it.
  await kubectl(
    ['apply', '-f', '-'],
    stringify({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    }),
  );

  const logDir = mkdtempSync(join(tmpdir(), 'argocd-'));
  const [redisPort, repoPort, ...ports] = await Promise.all(Array.from({ length: 7 }, freePort));
  const [controllerMetrics, repoMetrics, appsetMetrics, appsetProbe, appsetWebhook] = ports as number[];
  const bin = (name: string) => join(env.ARGOCD_BIN_DIR, name);
  const processEnv = {
    ...process.env,
    KUBECONFIG: env.KUBECONFIG,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    // The repo server renders charts with the environment's helm.
    PATH: `${dirname(env.HELM)}:${process.env.PATH}`,
    HOME: logDir,
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_TLS_DATA_PATH: mkdtempSync(join(logDir, 'tls-')),
    ARGOCD_SSH_DATA_PATH: mkdtempSync(join(logDir, 'ssh-')),
    // argocd-cm's timeout.reconciliation, as Argo CD's manifests pass it: how long the controller keeps a
    // comparison and the repo server what a branch resolves to.
    ARGOCD_RECONCILIATION_TIMEOUT: `${RESYNC_SECONDS}s`,
    ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_PROGRESSIVE_SYNCS: 'true',
    ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER: `${RESYNC_SECONDS}s`,
  };
  const children: { name: string; child: ChildProcess }[] = [];
  // They are host processes: a test worker that dies (a crash, a timeout) takes them with it.
  process.once('exit', () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  });
  const start = (name: string, cmd: string, args: string[]) => {
    const out = openSync(join(logDir, `${name}.log`), 'a');
    const child = spawn(cmd, args, { env: processEnv, stdio: ['ignore', out, out] });
    closeSync(out);
    children.push({ name, child });
  };
  const argo = {
    logTail: (lines = 30) =>
      children
        .map(({ name }) => {
          const text = readFileSync(join(logDir, `${name}.log`), 'utf8')
            .trimEnd()
            .split('\n');
          return `--- ${name} (last ${lines} lines)\n${text.slice(-lines).join('\n')}`;
        })
        .join('\n'),
    stop: async () => {
      for (const { child } of children) child.kill('SIGTERM');
      await sleep(2_000);
      for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  try {
    start('redis', 'redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    const redis = `127.0.0.1:${redisPort}`;
    const repoServer = `127.0.0.1:${repoPort}`;
    start('repo-server', bin('argocd-repo-server'), [
      '--port',
      String(repoPort),
      '--metrics-port',
      String(repoMetrics),
      '--disable-tls',
      '--redis',
      redis,
    ]);
    start('application-controller', bin('argocd-application-controller'), [
      '--namespace',
      ARGOCD_NAMESPACE,
      '--repo-server',
      repoServer,
      '--repo-server-plaintext',
      '--redis',
      redis,
      '--metrics-port',
      String(controllerMetrics),
    ]);
    start('applicationset-controller', bin('argocd-applicationset-controller'), [
      '--namespace',
      ARGOCD_NAMESPACE,
      '--argocd-repo-server',
      repoServer,
      '--repo-server-plaintext',
      '--metrics-addr',
      `127.0.0.1:${appsetMetrics}`,
      '--probe-addr',
      `127.0.0.1:${appsetProbe}`,
      '--webhook-addr',
      `127.0.0.1:${appsetWebhook}`,
    ]);
    await waitFor(
      'the Argo CD processes to serve their metrics',
      async () => {
        for (const { name, child } of children)
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
        for (const url of [
          `http://127.0.0.1:${controllerMetrics}/metrics`,
          `http://127.0.0.1:${repoMetrics}/metrics`,
          `http://127.0.0.1:${appsetMetrics}/metrics`,
        ])
          if (!(await fetch(url)).ok) return false;
        return true;
      },
      60_000,
      500,
    );
  } catch (err) {
    const tail = argo.logTail();
    await argo.stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  return argo;
}

/**
 * Argo CD's namespace with its Applications, ApplicationSets and AppProjects gone, with Argo CD stopped: the
 * resources finalizer of the ApplicationSet's Applications (a cascading delete, which only the controller
 * performs) is taken off first, so what they synced stays for the caller to remove.
 */
export async function removeArgoNamespace(): Promise<void> {
  if ((await kubectlResult(['get', 'namespace', ARGOCD_NAMESPACE])).code !== 0) return;
  const apps = JSON.parse(await kubectl(['get', 'applications', '-n', ARGOCD_NAMESPACE, '-o', 'json'])) as {
    items: ArgoApplication[];
  };
  for (const { metadata } of apps.items)
    await kubectl([
      'patch',
      'application',
      metadata.name,
      '-n',
      ARGOCD_NAMESPACE,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  await kubectl(['delete', 'namespace', ARGOCD_NAMESPACE, '--timeout=120s']);
}

/** A Git repository on disk, as Argo CD reads it (file://). */
export class LocalGitRepo {
  readonly url: string;
  private constructor(readonly dir: string) {
    this.url = `file://${dir}`;
  }

  static async init(dir: string): Promise<LocalGitRepo> {
    const repo = new LocalGitRepo(dir);
    await repo.git('init', '-q', '-b', 'main');
    return repo;
  }

  async git(...args: string[]): Promise<string> {
    const r = await run('git', ['-C', this.dir, ...args], undefined, {
      GIT_AUTHOR_NAME: 'platform team',
      GIT_AUTHOR_EMAIL: 'platform@example.com',
      GIT_COMMITTER_NAME: 'platform team',
      GIT_COMMITTER_EMAIL: 'platform@example.com',
    });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Commits everything in the working tree; returns the new revision. */
  async commit(message: string): Promise<string> {
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

/** Waits for an Application to satisfy `ok`, reporting its status and the controllers' logs on timeout. */
export async function waitForApplication(
  argo: ArgoCd,
  name: string,
  what: string,
  ok: (app: ArgoApplication) => boolean | Promise<boolean>,
  ms: number,
): Promise<ArgoApplication> {
  let last: ArgoApplication | undefined;
  try {
    return await waitFor(
      `Application ${name}: ${what}`,
      async () => {
        last = await getApplication(name);
        return last && (await ok(last)) ? last : undefined;
      },
      ms,
      1_000,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last?.status ?? null)}\n${argo.logTail(15)}`,
    );
  }
}
