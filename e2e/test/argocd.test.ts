// examples/argocd synced by Argo CD's own controllers (v2.14, built from its Go module; support/argocd.ts)
// from a local Git repository onto the test cluster's real node, as a platform team runs it from its fork:
// the root Application installs the operator chart (with the values the CDK app writes), the tenants'
// namespaces and AppProjects, and one Application per tenant folder; the tenants' ApplicationSet rolls Git
// changes out with RollingSync, canary first (a Degraded canary halts the rest until Git fixes it); removing
// a folder removes the tenant. Health comes from the operator's status through examples/argocd's health check.
// Nothing here writes a status: every state is the controllers' and the kubelet's.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { LABELS, ROLLOUT_LABEL, tenantIdentity, type SentimentPlatformSpec } from '@sentiment/crds';
import {
  applicationSetStatus,
  ARGOCD_NAMESPACE,
  getApplication,
  LocalGitRepo,
  removeArgoNamespace,
  RESYNC_SECONDS,
  startArgoCd,
  waitForApplication,
  type ArgoApplication,
  type ArgoCd,
} from './support/argocd.js';
import {
  getPlatform,
  kubectl,
  kubectlResult,
  quietNode,
  REPO_DIR,
  restrictedNamespace,
  sleep,
  tenantData,
  uniqueName,
  waitFor,
} from './support/cluster.js';
import { operatorValues } from './support/operator.js';

/** The example's placeholder for "your fork"; the test points it at the local repository. */
const EXAMPLE_REPO = 'https://github.com/sentiment-analytics/sentiment-platform.git';
/** The operator's namespace and release in apps/sentiment-operator.yaml. */
const OPERATOR_NAMESPACE = 'sentiment-system';
const OPERATOR_RELEASE = 'sentiment-operator';
const TENANTS_APPSET = 'sentiment-tenants';

const small = (cpu: string, memory: string, limit: string) => ({
  requests: { cpu, memory },
  limits: { memory: limit },
});
/** Small enough that two tenants and the operator share the node's 2 CPUs. */
const tenantSpec = (host: string, apiMin = 1): SentimentPlatformSpec => ({
  profile: 'demo',
  api: { autoscaling: { min: apiMin }, resources: small('100m', '256Mi', '512Mi') },
  worker: { resources: small('100m', '256Mi', '512Mi') },
  ml: { autoscaling: { min: 1, max: 1 }, resources: small('200m', '512Mi', '1Gi') },
  llm: { provider: 'none' },
  ingress: { host },
});

// Two tenant folders: the canary (values `rollout: canary`) and one in the next step.
const canary = uniqueName('argo-canary');
const next = uniqueName('argo-next');
const ns = (tenant: string) => `tenant-${tenant}`;
const app = (tenant: string) => `tenant-${tenant}`;

let argo: ArgoCd | undefined;
let repo: LocalGitRepo;

function writeTenant(tenant: string, spec: SentimentPlatformSpec, rollout?: string): void {
  const dir = join(repo.dir, 'examples', 'argocd', 'tenants', tenant);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'values.yaml'),
    stringify({ name: tenant, namespace: { name: ns(tenant) }, ...(rollout && { rollout }), spec }),
  );
}

/** The repository as a platform team's fork: the charts and examples/argocd, pointed at itself. */
async function makeFork(values: Record<string, unknown>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-fork-'));
  repo = await LocalGitRepo.init(dir);
  for (const path of ['charts/sentiment-operator', 'charts/sentiment-tenant', 'examples/argocd'])
    cpSync(join(REPO_DIR, path), join(dir, path), { recursive: true });
  rmSync(join(dir, 'examples', 'argocd', 'tenants'), { recursive: true });
  const examples = join(dir, 'examples', 'argocd');
  for (const file of [
    'root-application.yaml',
    ...['sentiment-operator', 'tenant-admin-project', 'tenant-projects', 'tenants'].map(
      (a) => `apps/${a}.yaml`,
    ),
  ]) {
    const path = join(examples, file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(EXAMPLE_REPO, repo.url));
  }
  // The operator Application with the values the CDK app's Operator stack gives the chart (as the infra's
  // Helm install has them), in place of the example's existingSecret.
  const operatorApp = join(examples, 'apps', 'sentiment-operator.yaml');
  const doc = parse(readFileSync(operatorApp, 'utf8'));
  // One replica: the node's 2 CPUs also run two tenants (the chart's two are tested in platform.test.ts).
  doc.spec.source.helm.valuesObject = { ...values, replicaCount: 1 };
  writeFileSync(operatorApp, stringify(doc));
  writeTenant(canary, tenantSpec(`${canary}.example.com`), 'canary');
  writeTenant(next, tenantSpec(`${next}.example.com`));
  await repo.commit('two tenants');
}

/** What uninstalling leaves nowhere: the tenants (the operator still running to release them), then the rest. */
async function cleanUp(): Promise<void> {
  await argo?.stop();
  for (const tenant of [canary, next])
    await kubectlResult(['delete', 'sentimentplatform', '--all', '-n', ns(tenant), '--timeout=180s']);
  // AppProjects live in Argo CD's namespace.
  await removeArgoNamespace().catch(() => undefined);
  for (const tenant of [canary, next])
    await kubectlResult(['delete', 'namespace', ns(tenant), '--wait=false']);
  await removeOperator();
}

async function removeOperator(): Promise<void> {
  await kubectlResult([
    'delete',
    'clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding',
    '-l',
    `app.kubernetes.io/instance=${OPERATOR_RELEASE}`,
  ]);
  await kubectlResult(['delete', 'namespace', OPERATOR_NAMESPACE, '--timeout=120s']);
}

const healthy = (a: ArgoApplication) =>
  a.status?.health?.status === 'Healthy' && a.status?.sync?.status === 'Synced';
const platformOf = (a: ArgoApplication) => a.status?.resources?.find((r) => r.kind === 'SentimentPlatform');

test.before(async () => {
  await quietNode();
  // A run that died before its clean-up leaves the operator's namespace (the tenants' names are new each run).
  await removeOperator();
  await restrictedNamespace(OPERATOR_NAMESPACE);
  await makeFork(await operatorValues(uniqueName('argocd-operator'), OPERATOR_NAMESPACE, 15_000));
  argo = await startArgoCd();
});

test.after.always(async () => {
  await cleanUp();
});

const platformExists = async (tenant: string) => (await getPlatform(ns(tenant), tenant)) !== undefined;
const namespaceExists = async (name: string) => (await kubectlResult(['get', 'namespace', name])).code === 0;
const hostOf = async (tenant: string) => (await getPlatform(ns(tenant), tenant))?.spec.ingress?.host;
const stepsOf = async () =>
  Object.fromEntries(
    ((await applicationSetStatus(TENANTS_APPSET))?.applicationStatus ?? []).map((s) => [
      s.application,
      { step: s.step, status: s.status },
    ]),
  );

/**
 * The RollingSync steps once the ApplicationSet controller has recorded both Applications Healthy: it writes
 * its status after it sees an Application's health, so it can lag the Application by a resync (CI saw it once).
 */
const bothStepsHealthy = () =>
  waitFor(
    'the ApplicationSet to record both steps Healthy',
    async () => {
      const steps = await stepsOf();
      return (
        Object.values(steps).length === 2 &&
        Object.values(steps).every((s) => s.status === 'Healthy') &&
        steps
      );
    },
    60_000,
    1_000,
  );

test.serial(
  'the root Application installs the operator, then the tenants: the canary first, the next once the canary is Healthy',
  async (t) => {
    const root = parse(readFileSync(join(repo.dir, 'examples', 'argocd', 'root-application.yaml'), 'utf8'));
    await kubectl(['apply', '-f', '-'], stringify(root));
    const operator = await waitForApplication(
      argo!,
      OPERATOR_RELEASE,
      'Healthy and Synced',
      healthy,
      300_000,
    );
    t.truthy(
      operator.status?.resources?.find((r) => r.kind === 'Deployment' && r.health?.status === 'Healthy'),
      'the operator Deployment is Healthy',
    );

    // Until the canary's Application is Healthy (its platform Ready), the next tenant's platform does not
    // exist: looked at first, so a platform seen beside a canary not yet Healthy was there before it was.
    let nextBeforeCanary = false;
    const canaryApp = await waitForApplication(
      argo!,
      app(canary),
      'Healthy (its platform Ready)',
      async (a) => {
        if (healthy(a)) return true;
        if (await platformExists(next)) nextBeforeCanary = true;
        return false;
      },
      480_000,
    );
    t.false(nextBeforeCanary, 'the next tenant was synced before the canary was Healthy');
    t.is(platformOf(canaryApp)?.health?.status, 'Healthy');
    const canaryPlatform = await getPlatform(ns(canary), canary);
    t.is(canaryPlatform?.status?.phase, 'Ready');
    t.is(
      canaryPlatform?.metadata.labels?.[ROLLOUT_LABEL],
      'canary',
      "the chart labels the platform a canary of the operator's own rollout too",
    );

    const nextApp = await waitForApplication(argo!, app(next), 'Healthy after the canary', healthy, 480_000);
    t.is(platformOf(nextApp)?.health?.status, 'Healthy');
    t.is((await getPlatform(ns(next), next))?.status?.phase, 'Ready');
    t.deepEqual(await bothStepsHealthy(), {
      [app(canary)]: { step: '1', status: 'Healthy' },
      [app(next)]: { step: '2', status: 'Healthy' },
    });
    // Each tenant's Application is in its own AppProject, which admits only its namespace.
    const project = JSON.parse(
      await kubectl(['get', 'appproject', app(next), '-n', ARGOCD_NAMESPACE, '-o', 'json']),
    );
    t.deepEqual(
      project.spec.destinations.map((d: { namespace: string }) => d.namespace),
      [ns(next)],
    );
    t.is(nextApp.metadata.labels?.[LABELS.platform], next);
  },
);

test.serial(
  "a commit that breaks the canary turns its Application Degraded with the operator's reason; the next tenant's change then waits",
  async (t) => {
    // min 4 is admitted (the CRD cannot see the profile's max of 3); the operator reports it.
    writeTenant(canary, tenantSpec(`${canary}.example.com`, 4), 'canary');
    const broken = await repo.commit('canary: api.autoscaling.min 4');
    const degraded = await waitForApplication(
      argo!,
      app(canary),
      `Degraded at ${broken}`,
      (a) => a.status?.sync?.revision === broken && a.status?.health?.status === 'Degraded',
      240_000,
    );
    t.regex(platformOf(degraded)?.health?.message ?? '', /InvalidSpec.*api\.autoscaling\.min \(4\) exceeds/);
    t.is((await getPlatform(ns(canary), canary))?.status?.phase, 'Degraded');

    // A change to the next tenant, committed while the canary is Degraded, waits for its step: three resync
    // periods later it still does. (In one commit with the canary's it may not: see docs/helm-argocd.md.)
    const before = await hostOf(next);
    writeTenant(next, tenantSpec(`${next}-v2.example.com`));
    const change = await repo.commit('next: a new host');
    await waitForApplication(
      argo!,
      app(next),
      `OutOfSync with ${change}, Waiting`,
      async (a) =>
        a.status?.sync?.status === 'OutOfSync' && (await stepsOf())[app(next)]?.status === 'Waiting',
      120_000,
    );
    await sleep(3 * RESYNC_SECONDS * 1000);
    t.is((await stepsOf())[app(next)]?.status, 'Waiting');
    t.is((await getApplication(app(next)))?.status?.sync?.status, 'OutOfSync');
    t.is(await hostOf(next), before, 'the next tenant was not synced past a Degraded canary');
  },
);

test.serial(
  'fixing the canary in Git resumes the rollout: both tenants reach the new revision, Healthy',
  async (t) => {
    writeTenant(canary, tenantSpec(`${canary}.example.com`), 'canary');
    const revision = await repo.commit('canary: api.autoscaling.min back to the profile');
    const atRevision = (a: ArgoApplication) => healthy(a) && a.status?.sync?.revision === revision;
    await waitForApplication(argo!, app(canary), `Healthy at ${revision}`, atRevision, 300_000);
    await waitForApplication(argo!, app(next), `Healthy at ${revision}`, atRevision, 300_000);
    t.is(await hostOf(next), `${next}-v2.example.com`);
    t.is((await getPlatform(ns(next), next))?.status?.phase, 'Ready');
    t.deepEqual(await bothStepsHealthy(), {
      [app(canary)]: { step: '1', status: 'Healthy' },
      [app(next)]: { step: '2', status: 'Healthy' },
    });
  },
);

test.serial(
  "removing a tenant's folder removes its Applications and its platform (the operator drops its data); its namespace and AppProject stay",
  async (t) => {
    const id = tenantIdentity(ns(next), next).id;
    t.deepEqual(await tenantData(id), { database: 1, role: 1 }, 'the operator provisioned the tenant');
    rmSync(join(repo.dir, 'examples', 'argocd', 'tenants', next), { recursive: true });
    await repo.commit(`remove ${next}`);
    // The ApplicationSets delete the folder's two Applications; the tenant's resources finalizer deletes its
    // SentimentPlatform, whose own finalizer waits for the operator to release the tenant. The project's
    // Application leaves the namespace and the AppProject (Delete=false): the tenant's Application needs that
    // project to finish, and Argo CD deletes the two in no order.
    await waitFor(
      `${next}'s Applications to be deleted`,
      async () => !(await getApplication(app(next))) && !(await getApplication(`${app(next)}-project`)),
      300_000,
      1_000,
    );
    t.false(await platformExists(next));
    t.deepEqual(await tenantData(id), { database: 0, role: 0 }, "the operator dropped the tenant's data");
    t.true(await namespaceExists(ns(next)), 'the namespace is kept');
    t.is(
      (await kubectlResult(['get', 'appproject', app(next), '-n', ARGOCD_NAMESPACE])).code,
      0,
      'the AppProject is kept',
    );
    // The canary is untouched.
    t.true(healthy((await getApplication(app(canary)))!));
    t.deepEqual(Object.keys(await stepsOf()), [app(canary)]);
  },
);
