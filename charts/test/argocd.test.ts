// Argo CD integration: the SentimentPlatform health check run in Lua 5.1 and in gopher-lua (the VM Argo CD embeds,
// set up as Argo CD sets it up: test/gopher-lua) against Argo CD's own test-case format, the generated argocd-cm
// snippet, and the Application/ApplicationSet wiring.
import { ROLLOUT_LABEL } from '@sentiment/crds';
import { run as runCommand } from '@sentiment/testenv';
import test from 'ava';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import {
  ARGOCD_DIR,
  CHARTS_DIR,
  OPERATOR_CHART,
  REPO_DIR,
  TENANT_CHART,
  apply,
  ensureCrd,
  helm,
  kubectl,
  must,
  run,
  uniqueName,
} from './helpers.js';

const HEALTH_DIR = join(ARGOCD_DIR, 'health');

/** A JSON value as a Lua 5.1 table constructor (the object Argo CD hands a health script as `obj`). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

interface HealthCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
const cases = (parse(readFileSync(join(HEALTH_DIR, 'health_test.yaml'), 'utf8')) as { tests: HealthCase[] })
  .tests;

test('health_test.yaml covers every input in testdata/', (t) => {
  t.deepEqual(
    cases.map((c) => c.inputPath).sort(),
    readdirSync(join(HEALTH_DIR, 'testdata'))
      .map((f) => `testdata/${f}`)
      .sort(),
  );
});

// gopher-lua, built from test/gopher-lua into the cache test/env uses, again only when its sources change.
const CACHE = process.env.SENTIMENT_CACHE ?? join(homedir(), '.cache', 'sentiment-platform');
const GOPHER_LUA_DIR = join(CHARTS_DIR, 'test', 'gopher-lua');
const GOPHER_LUA_BIN = join(CACHE, 'bin', 'gopher-lua-health');

async function buildGopherLua(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go'])
    hash.update(`${f}\0`).update(readFileSync(join(GOPHER_LUA_DIR, f)));
  const digest = hash.digest('hex');
  const stamp = `${GOPHER_LUA_BIN}.sha256`;
  if (existsSync(GOPHER_LUA_BIN) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest)
    return GOPHER_LUA_BIN;
  mkdirSync(dirname(GOPHER_LUA_BIN), { recursive: true });
  // Built beside the binary and renamed over it, so parallel runs never execute a half-written file.
  const partial = `${GOPHER_LUA_BIN}.${process.pid}`;
  const r = await runCommand('go', ['build', '-C', GOPHER_LUA_DIR, '-o', partial, '.'], undefined, {
    GOMODCACHE: process.env.GOMODCACHE ?? join(CACHE, 'gomodcache'),
    GOCACHE: process.env.GOCACHE ?? join(CACHE, 'gocache'),
    CGO_ENABLED: '0',
  }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT'
      ? new Error(
          '`go` is not on PATH: the gopher-lua health check (charts/test/gopher-lua) needs Go 1.22 or later',
        )
      : e;
  });
  if (r.code !== 0) throw new Error(`go build in ${GOPHER_LUA_DIR} failed (exit ${r.code}):\n${r.stderr}`);
  renameSync(partial, GOPHER_LUA_BIN);
  writeFileSync(stamp, digest);
  return GOPHER_LUA_BIN;
}

// A failed build fails every gopher-lua case with its reason (never a skip), and leaves the lua5.1 cases running.
let gopherLua: string | Error = new Error('gopher-lua was not built');
test.before(async () => {
  gopherLua = await buildGopherLua().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
});

/** Runs a health script on an object; stdout is the status and the message, one a line. */
const interpreters = {
  'lua5.1': (script: string, obj: unknown) =>
    run('lua5.1', [join(CHARTS_DIR, 'test', 'run-health.lua'), script], toLua(obj)),
  'gopher-lua': (script: string, obj: unknown) => {
    if (gopherLua instanceof Error) throw gopherLua;
    return run(gopherLua, [script], JSON.stringify(obj));
  },
};

for (const [interpreter, runHealth] of Object.entries(interpreters)) {
  for (const c of cases) {
    test(`health.lua (${interpreter}): ${c.inputPath} → ${c.healthStatus.status}`, async (t) => {
      const obj = parse(readFileSync(join(HEALTH_DIR, c.inputPath), 'utf8')) as unknown;
      const r = await runHealth(join(HEALTH_DIR, 'health.lua'), obj);
      t.is(r.code, 0, r.stderr);
      const [status, message] = r.stdout.split('\n');
      t.deepEqual({ status, message }, c.healthStatus);
    });
  }
}

// Argo CD runs an argocd-cm health script without Lua's standard libraries (unless useOpenLibs is set for the
// kind): base, table, package and os.time/os.date only. lua5.1 has them all, so this is what keeps health.lua
// from growing a string.format that passes here and fails in Argo CD.
test('gopher-lua opens only the libraries Argo CD gives an argocd-cm health script', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gopher-lua-libs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runScript = async (body: string) => {
    const script = join(dir, `${createHash('sha256').update(body).digest('hex')}.lua`);
    writeFileSync(script, body);
    return interpreters['gopher-lua'](script, { metadata: { name: 'x' } });
  };
  const allowed = await runScript(
    'local t = {} table.insert(t, obj.metadata.name) ' +
      'return { status = "Healthy", message = t[1] .. tostring(os.time() > 0) .. type(require("os").date) }',
  );
  t.is(allowed.code, 0, allowed.stderr);
  t.is(allowed.stdout, 'Healthy\nxtruefunction\n');
  for (const [lib, body] of [
    ['string', 'return { status = string.upper("healthy") }'],
    ['string methods', 'return { status = ("healthy"):upper() }'],
    ['math', 'return { status = "Healthy", message = tostring(math.floor(1.5)) }'],
    ['io', 'io.write("x") return { status = "Healthy" }'],
    ['os.getenv', 'return { status = "Healthy", message = os.getenv("HOME") }'],
  ] as const) {
    const r = await runScript(body);
    t.is(r.code, 1, `${lib}: ${r.stdout}`);
    t.regex(r.stderr, /attempt to (index|call) a non-(table|function) object/, lib);
  }
});

test('argocd-cm-health.yaml carries health.lua verbatim', async (t) => {
  const r = await run(process.execPath, [join(CHARTS_DIR, 'scripts', 'argocd-health-cm.mjs'), '--check']);
  t.is(r.code, 0, r.stderr);
  const cm = parse(readFileSync(join(ARGOCD_DIR, 'argocd-cm-health.yaml'), 'utf8')) as {
    data: Record<string, string>;
  };
  t.is(
    cm.data['resource.customizations.health.sentiment.analytics.dev_SentimentPlatform'],
    readFileSync(join(HEALTH_DIR, 'health.lua'), 'utf8'),
  );
});

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    project: string;
    source: {
      repoURL: string;
      path: string;
      helm: { releaseName: string; valueFiles: string[]; parameters: { name: string; value: string }[] };
    };
    destination: { server: string; namespace: string };
    syncPolicy: { syncOptions: string[] };
    generators: { git: { files: { path: string }[] } }[];
    template: Manifest;
    strategy?: {
      type: string;
      rollingSync: { steps: { matchExpressions: unknown[]; maxUpdate?: number | string }[] };
    };
  };
}
const load = (file: string) => parse(readFileSync(join(ARGOCD_DIR, file), 'utf8')) as Manifest;

test('sync waves: CRD -1, operator and the tenant admin project 0, tenant namespaces 1, tenants 2', async (t) => {
  const crd = await must(
    helm(['template', 'x', OPERATOR_CHART, '--show-only', 'templates/crd.yaml']),
    'render CRD',
  );
  t.is((parse(crd) as Manifest).metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
  t.is(load('apps/sentiment-operator.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '0');
  t.is(load('apps/tenant-admin-project.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '0');
  t.is(load('apps/tenant-projects.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '1');
  t.is(load('apps/tenants.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '2');
});

test('the operator Application points at the operator chart', (t) => {
  const app = load('apps/sentiment-operator.yaml');
  t.is(app.kind, 'Application');
  t.true(existsSync(join(REPO_DIR, app.spec.source.path, 'Chart.yaml')));
  t.true(app.spec.syncPolicy.syncOptions.includes('ServerSideApply=true'));
});

test('the ApplicationSet makes one tenant Application per tenants/*/values.yaml, skipping dry-run while the CRD is missing', (t) => {
  const set = load('apps/tenants.yaml');
  t.is(set.kind, 'ApplicationSet');
  const files = set.spec.generators[0]?.git.files;
  t.deepEqual(files, [{ path: 'examples/argocd/tenants/*/values.yaml' }]);
  t.is(set.spec.template.spec.source.path, 'charts/sentiment-tenant');
  t.true(set.spec.template.spec.syncPolicy.syncOptions.includes('SkipDryRunOnMissingResource=true'));
  // valueFiles are relative to the chart path in the repository.
  const valueFile = (set.spec.template.spec.source.helm.valueFiles[0] ?? '').replace(
    '{{ .path.path }}',
    'examples/argocd/tenants/acme',
  );
  t.true(existsSync(join(REPO_DIR, 'charts/sentiment-tenant', valueFile)));
});

const tenants = readdirSync(join(ARGOCD_DIR, 'tenants'));
test('the example has two tenants', (t) => {
  t.deepEqual(tenants.sort(), ['acme', 'globex']);
});

for (const tenant of tenants) {
  test(`tenant ${tenant}: its values render a SentimentPlatform the API server accepts`, async (t) => {
    await ensureCrd();
    const values = join(ARGOCD_DIR, 'tenants', tenant, 'values.yaml');
    const v = parse(readFileSync(values, 'utf8')) as { name: string; namespace: { name: string } };
    // Argo CD takes both from the folder name; the file agrees, for a plain `helm install` of it.
    t.is(v.name, tenant);
    t.is(v.namespace.name, `tenant-${tenant}`);
    // A unique namespace per run instead of the example's, so parallel runs do not collide.
    const ns = uniqueName(`charts-${tenant}`);
    t.teardown(() => kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']));
    const r = await helm(['template', v.name, TENANT_CHART, '-f', values, '--set', `namespace.name=${ns}`]);
    t.is(r.code, 0, r.stderr);
    const objs = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as Manifest | null)
      .filter((o): o is Manifest => o !== null);
    await must(apply(stringify(objs.find((o) => o.kind === 'Namespace'))), 'apply namespace');
    const sp = objs.filter((o) => o.kind === 'SentimentPlatform');
    t.is(sp.length, 1);
    const dry = await apply(stringify(sp[0]), ['--dry-run=server']);
    t.is(dry.code, 0, dry.stderr);
  });
}

type Obj = {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    sourceRepos: string[];
    sourceNamespaces: string[];
    destinations: { server: string; namespace: string }[];
    clusterResourceWhitelist: { group: string; kind: string }[];
    namespaceResourceWhitelist: { group: string; kind: string }[];
  };
};

/**
 * What Argo CD renders for one ApplicationSet's Application of a tenant folder: the template with the git
 * generator's .path variables filled in, then `helm template` as Argo CD runs it (release name, the destination
 * namespace, valueFiles relative to the chart, parameters as --set, which win over the files).
 */
async function renderApplication(appSet: string, folder: string, valuesFile?: string) {
  const values = parse(readFileSync(valuesFile ?? join(REPO_DIR, folder, 'values.yaml'), 'utf8')) as {
    rollout?: string;
  };
  const template = JSON.stringify(load(appSet).spec.template)
    .replaceAll(ROLLOUT_EXPR.replaceAll('"', '\\"'), values.rollout ?? '')
    .replaceAll('{{ .path.basename }}', folder.split('/').pop()!)
    .replaceAll('{{ .path.path }}', folder);
  const left = /\{\{[^}]*\}\}/.exec(template);
  if (left) throw new Error(`${appSet} uses ${left[0]}, which this test does not fill in`);
  const app = JSON.parse(template) as Manifest;
  const chart = join(REPO_DIR, app.spec.source.path);
  const { helm: h } = app.spec.source;
  // valuesFile: a file outside the repository standing in for <folder>/values.yaml.
  const files = h.valueFiles.map((f) => join(chart, f));
  if (valuesFile) {
    if (files.join() !== join(REPO_DIR, folder, 'values.yaml'))
      throw new Error(`${appSet}: valueFiles ${files.join()}`);
    files[0] = valuesFile;
  }
  const r = await helm([
    'template',
    h.releaseName,
    chart,
    '--namespace',
    app.spec.destination.namespace,
    ...files.flatMap((f) => ['-f', f]),
    ...h.parameters.flatMap((p) => ['--set', `${p.name}=${p.value}`]),
  ]);
  if (r.code !== 0) throw new Error(`helm template for ${appSet} ${folder}: ${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
  return { app, objects };
}

/** The one expression that reads a tenant's values file: its rollout step label (tenants.yaml). */
const ROLLOUT_EXPR = '{{ index . "rollout" | default "" }}';

test('tenant Applications take their project, name and namespace from the folder, never from the values file', (t) => {
  for (const file of ['apps/tenants.yaml', 'apps/tenant-projects.yaml']) {
    const template = load(file).spec.template;
    // The values file's `rollout` orders the RollingSync steps and nothing else: only that label reads it.
    const labels = template.metadata.labels ?? {};
    if (file === 'apps/tenants.yaml') t.is(labels[ROLLOUT_LABEL], ROLLOUT_EXPR);
    delete labels[ROLLOUT_LABEL];
    const text = JSON.stringify(template);
    // The git files generator also exposes the values file's keys ({{ .name }}, {{ .namespace.name }}): unused.
    t.deepEqual(
      [...new Set(text.match(/\{\{[^}]*\}\}/g))].sort(),
      ['{{ .path.basename }}', '{{ .path.path }}'],
      file,
    );
  }
  t.is(load('apps/tenants.yaml').spec.template.spec.project, 'tenant-{{ .path.basename }}');
  t.is(load('apps/tenants.yaml').spec.template.spec.destination.namespace, 'tenant-{{ .path.basename }}');
});

test("the tenants roll out canaries first: RollingSync steps on the label the operator's fleet rollout reads", (t) => {
  const set = load('apps/tenants.yaml');
  t.is(set.spec.strategy?.type, 'RollingSync');
  t.deepEqual(
    set.spec.strategy?.rollingSync.steps.map((s) => s.matchExpressions),
    [
      [{ key: ROLLOUT_LABEL, operator: 'In', values: ['canary'] }],
      [{ key: ROLLOUT_LABEL, operator: 'NotIn', values: ['canary'] }],
    ],
  );
});

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
]);

/** Why an AppProject refuses an object of one of its Applications (Argo CD's whitelist semantics), if it does. */
function refusal(project: Obj, app: Manifest, o: Obj): string | undefined {
  const spec = project.spec!;
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  const listed = (list: { group: string; kind: string }[]) =>
    list.some((w) => w.group === group && w.kind === o.kind);
  if (CLUSTER_SCOPED.has(o.kind))
    return listed(spec.clusterResourceWhitelist) ? undefined : `cluster-scoped ${o.kind}`;
  if (!listed(spec.namespaceResourceWhitelist)) return `${o.kind} is not in namespaceResourceWhitelist`;
  const ns = o.metadata.namespace ?? app.spec.destination.namespace;
  // Destination namespaces are globs (tenant-*).
  const glob = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  if (!spec.destinations.some((d) => d.server === app.spec.destination.server && glob(d.namespace).test(ns)))
    return `namespace ${ns} is not a destination`;
  return undefined;
}

/** An object of this kind an Application might try to sync. */
const attempt = (apiVersion: string, kind: string, namespace?: string): Obj => ({
  apiVersion,
  kind,
  metadata: { name: 'x', ...(namespace && { namespace }) },
});

// A tenant's values file written to escape: another name and namespace, an AppProject elsewhere pointing at another
// cluster. The ApplicationSets' parameters, which win over the file, must hold.
const hostile = {
  name: 'kube-system',
  namespace: { name: 'kube-system', create: true },
  argocd: {
    appProject: {
      enabled: true,
      namespace: 'kube-system',
      destinationServer: 'https://other-cluster.example.com',
      sourceRepos: ['https://git.example.com/tenant.git'],
    },
  },
  spec: { profile: 'demo' },
};

for (const tenant of [...tenants, 'hostile']) {
  test(`tenant ${tenant}: its Application is confined by its AppProject to tenant-${tenant}`, async (t) => {
    const folder = `examples/argocd/tenants/${tenant}`;
    let valuesFile: string | undefined;
    if (tenant === 'hostile') {
      const dir = mkdtempSync(join(tmpdir(), 'hostile-tenant-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      valuesFile = join(dir, 'values.yaml');
      writeFileSync(valuesFile, stringify(hostile));
    }
    const ns = `tenant-${tenant}`;
    const admin = await renderApplication('apps/tenant-projects.yaml', folder, valuesFile);
    // The platform team's Application renders the tenant's file too: its project admits what it makes, no more.
    const adminProject = load('apps/tenant-admin-project.yaml') as unknown as Obj;
    t.is(admin.app.spec.project, adminProject.metadata.name);
    t.true(adminProject.spec!.sourceRepos.includes(admin.app.spec.source.repoURL));
    t.deepEqual(
      admin.objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`),
      [`Namespace /${ns}`, `AppProject argocd/tenant-${tenant}`],
    );
    for (const o of admin.objects) t.is(refusal(adminProject, admin.app, o), undefined);
    t.truthy(refusal(adminProject, admin.app, attempt('apps/v1', 'Deployment', ns)));
    t.truthy(refusal(adminProject, admin.app, attempt('v1', 'Secret', ns)));
    t.truthy(refusal(adminProject, admin.app, attempt('argoproj.io/v1alpha1', 'AppProject', 'kube-system')));
    t.truthy(refusal(adminProject, admin.app, attempt('rbac.authorization.k8s.io/v1', 'ClusterRole')));
    const namespace = admin.objects.find((o) => o.kind === 'Namespace')!;
    t.like(namespace.metadata.labels, {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'sentiment.analytics.dev/tenant': 'true',
    });
    const project = admin.objects.find((o) => o.kind === 'AppProject')!;
    t.deepEqual(project.spec!.destinations, [{ server: 'https://kubernetes.default.svc', namespace: ns }]);
    t.deepEqual(project.spec!.sourceNamespaces, [ns]);
    const own = await renderApplication('apps/tenants.yaml', folder, valuesFile);
    t.is(own.app.spec.project, `tenant-${tenant}`);
    t.is(own.app.spec.destination.namespace, ns);
    // Its own Application renders the chart from the platform's repository, which its project allows.
    t.true(project.spec!.sourceRepos.includes(own.app.spec.source.repoURL));
    t.deepEqual(
      own.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [`SentimentPlatform ${ns}/${tenant}`],
    );
    for (const o of own.objects) t.is(refusal(project, own.app, o), undefined);
    // The project refuses what a tenant's own Applications might try: the operator's isolation, cluster kinds.
    t.truthy(refusal(project, own.app, attempt('networking.k8s.io/v1', 'NetworkPolicy', ns)));
    t.truthy(refusal(project, own.app, attempt('v1', 'ResourceQuota', ns)));
    t.truthy(refusal(project, own.app, attempt('rbac.authorization.k8s.io/v1', 'RoleBinding', ns)));
    t.truthy(refusal(project, own.app, attempt('networking.k8s.io/v1', 'Ingress', ns)));
    t.truthy(refusal(project, own.app, attempt('v1', 'Namespace')));
    t.truthy(refusal(project, own.app, attempt('v1', 'Secret', 'kube-system')));
  });
}

test('a tenant values file that sets Pod Security labels fails its Application, naming the label', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-tenant-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const valuesFile = join(dir, 'values.yaml');
  writeFileSync(
    valuesFile,
    stringify({ ...hostile, namespace: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }),
  );
  await t.throwsAsync(
    renderApplication('apps/tenant-projects.yaml', 'examples/argocd/tenants/hostile', valuesFile),
    { message: /namespace\.labels must not set pod-security\.kubernetes\.io\/enforce/ },
  );
});
