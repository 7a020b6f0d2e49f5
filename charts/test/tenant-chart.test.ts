// The sentiment-tenant chart: its values schema is the CRD's spec schema, and what it renders is accepted
// (or refused, with the CEL rule's message) by the real API server.
import test from 'ava';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { ROLLOUT_LABEL, TENANT_NAMESPACE_LABEL } from '@sentiment/crds';
import {
  CHARTS_DIR,
  TENANT_CHART,
  apply,
  ensureCrd,
  helm,
  kubectl,
  must,
  run,
  uniqueName,
} from './helpers.js';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;
const docs = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);

const namespace = uniqueName('charts-tenant');

test.before(async () => {
  await ensureCrd();
  // The Namespace for real (a dry-run object cannot live in a namespace that does not exist), the rest dry-run.
  const ns = await must(
    helm([
      'template',
      't',
      TENANT_CHART,
      '--set',
      `namespace.name=${namespace}`,
      '--show-only',
      'templates/namespace.yaml',
    ]),
    'render namespace',
  );
  await must(apply(ns), 'apply namespace');
});

test.after.always(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
});

/** Renders the chart into the test namespace and server-side dry-runs everything the API server knows. */
async function renderAndDryRun(args: string[]) {
  const r = await helm(['template', 't', TENANT_CHART, ...args, '--set', `namespace.name=${namespace}`]);
  if (r.code !== 0) return { rendered: [] as Obj[], helm: r, server: undefined };
  const rendered = docs(r.stdout);
  // AppProject is Argo CD's kind; the test API server does not serve it.
  const forServer = rendered.filter((o) => o.kind !== 'AppProject' && o.kind !== 'Namespace');
  const server = await apply(forServer.map((o) => stringify(o)).join('---\n'), ['--dry-run=server']);
  return { rendered, helm: r, server };
}

test('values.schema.json is in sync with the CRD', async (t) => {
  const r = await run(process.execPath, [join(CHARTS_DIR, 'scripts', 'tenant-schema.mjs'), '--check']);
  t.is(r.code, 0, r.stderr);
});

test('the namespace enforces, audits and warns on the restricted Pod Security Standard, and is a tenant namespace', async (t) => {
  const r = await kubectl(['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.labels}']);
  const labels = JSON.parse(r.stdout) as Record<string, string>;
  for (const mode of ['enforce', 'audit', 'warn'])
    t.is(labels[`pod-security.kubernetes.io/${mode}`], 'restricted', mode);
  t.is(labels[TENANT_NAMESPACE_LABEL], 'true');
});

/** The Namespace the chart renders with these --set-string namespace.labels (keys escaped for --set). */
const namespaceWith = (labels: Record<string, string>) =>
  helm([
    'template',
    't',
    TENANT_CHART,
    '--set',
    `namespace.name=${namespace}`,
    '--show-only',
    'templates/namespace.yaml',
    ...Object.entries(labels).flatMap(([k, v]) => [
      '--set-string',
      `namespace.labels.${k.replaceAll('.', '\\.')}=${v}`,
    ]),
  ]);

for (const [key, value] of [
  ['pod-security.kubernetes.io/enforce', 'privileged'],
  ['pod-security.kubernetes.io/enforce-version', 'v1.20'],
  ['pod-security.kubernetes.io/exempt', 'true'],
  [TENANT_NAMESPACE_LABEL, 'false'],
  ['app.kubernetes.io/managed-by', 'someone-else'],
] as const) {
  test(`namespace.labels cannot set ${key}: helm refuses, naming the label`, async (t) => {
    const r = await namespaceWith({ [key]: value, team: 'a' });
    t.not(r.code, 0);
    t.true(
      r.stderr.includes(
        `namespace.labels must not set ${key}: the chart sets it (restricted Pod Security, tenant and release labels)`,
      ),
      r.stderr,
    );
  });
}

test('namespace.labels adds other labels next to the fixed ones, and the API server keeps both', async (t) => {
  const r = await namespaceWith({ 'example.com/team': 'payments', team: 'a' });
  t.is(r.code, 0, r.stderr);
  const ns = docs(r.stdout)[0]!;
  t.like(ns.metadata.labels, {
    'example.com/team': 'payments',
    team: 'a',
    'pod-security.kubernetes.io/enforce': 'restricted',
    [TENANT_NAMESPACE_LABEL]: 'true',
  });
  const dry = await apply(stringify(ns), ['--dry-run=server', '-o', 'json']);
  t.is(dry.code, 0, dry.stderr);
  const labels = (JSON.parse(dry.stdout) as Obj).metadata.labels ?? {};
  t.is(labels['pod-security.kubernetes.io/enforce'], 'restricted');
  t.is(labels.team, 'a');
});

for (const file of ['appproject-values.yaml', 'self-hosted-values.yaml']) {
  test(`ci/${file} renders a SentimentPlatform the API server accepts`, async (t) => {
    const { rendered, helm: h, server } = await renderAndDryRun(['-f', join(TENANT_CHART, 'ci', file)]);
    t.is(h.code, 0, h.stderr);
    t.is(server?.code, 0, server?.stderr);
    const sp = rendered.find((o) => o.kind === 'SentimentPlatform');
    t.is(sp?.metadata.namespace, namespace);
    t.is(sp?.metadata.labels?.['sentiment.analytics.dev/platform'], sp?.metadata.name);
  });
}

test('the AppProject confines the tenant to its namespace and to its SentimentPlatform and Secrets', async (t) => {
  const { rendered } = await renderAndDryRun([
    '-f',
    join(TENANT_CHART, 'ci', 'appproject-values.yaml'),
    '--set',
    'argocd.appProject.platformRepo=https://git.example.com/platform.git',
  ]);
  const project = rendered.find((o) => o.kind === 'AppProject');
  t.deepEqual(project?.metadata.name, 'tenant-globex');
  t.deepEqual(project?.metadata.namespace, 'argocd');
  t.deepEqual(project?.spec, {
    description: 'SentimentPlatform tenant globex',
    sourceRepos: [
      'https://git.example.com/platform.git',
      'https://github.com/sentiment-analytics/tenant-globex.git',
    ],
    sourceNamespaces: [namespace],
    destinations: [{ server: 'https://kubernetes.default.svc', namespace }],
    clusterResourceWhitelist: [],
    // No NetworkPolicy (the operator's isolation), quota, RBAC or Ingress: only what a tenant brings itself.
    namespaceResourceWhitelist: [
      { group: 'sentiment.analytics.dev', kind: 'SentimentPlatform' },
      { group: '', kind: 'Secret' },
    ],
  });
  const off = await renderAndDryRun([]);
  t.false(off.rendered.some((o) => o.kind === 'AppProject'));
});

test('an AppProject with no repository at all is refused with a message', async (t) => {
  const r = await helm(['template', 't', TENANT_CHART, '--set', 'argocd.appProject.enabled=true']);
  t.not(r.code, 0);
  t.regex(r.stderr, /argocd\.appProject: set platformRepo .* or sourceRepos/);
});

test('sentimentPlatform.create=false renders the namespace and the AppProject only', async (t) => {
  const r = await helm([
    'template',
    't',
    TENANT_CHART,
    '-f',
    join(TENANT_CHART, 'ci', 'appproject-values.yaml'),
    '--set',
    'sentimentPlatform.create=false',
  ]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    docs(r.stdout).map((o) => o.kind),
    ['Namespace', 'AppProject'],
  );
});

test("rollout=canary labels the SentimentPlatform with the label the operator's fleet rollout reads; a bad value is refused", async (t) => {
  const canary = await renderAndDryRun(['--set', 'rollout=canary']);
  t.is(canary.helm.code, 0, canary.helm.stderr);
  t.is(canary.server?.code, 0, canary.server?.stderr);
  const platform = canary.rendered.find((o) => o.kind === 'SentimentPlatform')!;
  t.is(platform.metadata.labels?.[ROLLOUT_LABEL], 'canary');
  const plain = await renderAndDryRun([]);
  t.false(
    ROLLOUT_LABEL in (plain.rendered.find((o) => o.kind === 'SentimentPlatform')!.metadata.labels ?? {}),
  );
  const bad = await helm(['template', 't', TENANT_CHART, '--set', 'rollout=not a label']);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /rollout/);
});

test('helm refuses a spec the CRD schema refuses, naming the field', async (t) => {
  const r = await helm(['template', 't', TENANT_CHART, '--set', 'spec.profile=premium']);
  t.not(r.code, 0);
  t.regex(r.stderr, /spec\.profile must be one of the following: "demo", "production", "ultra-low-cost"/);
  const replicas = await helm(['template', 't', TENANT_CHART, '--set', 'spec.api.replicas=-1']);
  t.not(replicas.code, 0);
  t.regex(replicas.stderr, /spec\.api\.replicas/);
});

test('bedrock without modelId: refused by the CRD CEL rule with its message', async (t) => {
  const { helm: h, server } = await renderAndDryRun(['--set', 'spec.llm.bedrock=null']);
  t.is(h.code, 0, h.stderr);
  t.not(server?.code, 0);
  t.regex(server?.stderr ?? '', /llm\.provider bedrock needs llm\.bedrock\.modelId/);
});

test('self-hosted LLM on Fargate: refused by the CRD CEL rule with its message', async (t) => {
  const { helm: h, server } = await renderAndDryRun([
    '-f',
    join(TENANT_CHART, 'ci', 'self-hosted-values.yaml'),
    '--set',
    'spec.llm.selfHosted.capacity=fargate',
  ]);
  t.is(h.code, 0, h.stderr);
  t.not(server?.code, 0);
  t.regex(server?.stderr ?? '', /self-hosted LLM needs GPU nodes; Fargate has no GPUs/);
});
