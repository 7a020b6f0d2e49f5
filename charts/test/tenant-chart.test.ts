// The sentiment-tenant chart: its values schema is the CRD's spec schema, and what it renders is accepted
// (or refused, with the CEL rule's message) by the real API server.
import test from 'ava';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
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

test('the namespace enforces, audits and warns on the restricted Pod Security Standard', async (t) => {
  const r = await kubectl(['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.labels}']);
  const labels = JSON.parse(r.stdout) as Record<string, string>;
  for (const mode of ['enforce', 'audit', 'warn'])
    t.is(labels[`pod-security.kubernetes.io/${mode}`], 'restricted', mode);
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

test('the AppProject confines the tenant to its namespace', async (t) => {
  const { rendered } = await renderAndDryRun(['-f', join(TENANT_CHART, 'ci', 'appproject-values.yaml')]);
  const project = rendered.find((o) => o.kind === 'AppProject');
  t.like(project, {
    metadata: { name: 'tenant-globex', namespace: 'argocd' },
    spec: { destinations: [{ namespace }], clusterResourceWhitelist: [] },
  });
  const off = await renderAndDryRun([]);
  t.false(off.rendered.some((o) => o.kind === 'AppProject'));
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
