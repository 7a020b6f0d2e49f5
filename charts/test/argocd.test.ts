// Argo CD integration: the SentimentPlatform health check run in a real Lua 5.1 interpreter against Argo CD's own
// test-case format, the generated argocd-cm snippet, and the Application/ApplicationSet wiring.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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

for (const c of cases) {
  test(`health.lua: ${c.inputPath} → ${c.healthStatus.status}`, async (t) => {
    const obj = parse(readFileSync(join(HEALTH_DIR, c.inputPath), 'utf8')) as unknown;
    const r = await run(
      'lua5.1',
      [join(CHARTS_DIR, 'test', 'run-health.lua'), join(HEALTH_DIR, 'health.lua')],
      toLua(obj),
    );
    t.is(r.code, 0, r.stderr);
    const [status, message] = r.stdout.split('\n');
    t.deepEqual({ status, message }, c.healthStatus);
  });
}

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
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    source: { path: string; helm: { valueFiles: string[] } };
    syncPolicy: { syncOptions: string[] };
    generators: { git: { files: { path: string }[] } }[];
    template: Manifest;
  };
}
const load = (file: string) => parse(readFileSync(join(ARGOCD_DIR, file), 'utf8')) as Manifest;

test('sync waves: CRD -1, operator 0, tenants 1', async (t) => {
  const crd = await must(
    helm(['template', 'x', OPERATOR_CHART, '--show-only', 'templates/crd.yaml']),
    'render CRD',
  );
  t.is((parse(crd) as Manifest).metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
  t.is(load('apps/sentiment-operator.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '0');
  t.is(load('apps/tenants.yaml').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '1');
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
    t.is(v.name, tenant, 'the ApplicationSet names the release after values.name');
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
