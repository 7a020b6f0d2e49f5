// The CRD as the real kube-apiserver enforces it: CEL messages, defaults, status subresource,
// printer columns and `kubectl explain`.
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { checkPlatform, API_GROUP, API_VERSION, KIND, PLURAL, type SentimentPlatform } from '../src/index.js';
import { INVALID, REFUSED_AFTER_RESOLUTION } from './cases.js';
import { apiCode, apiMessage, core, custom, installCrd, kubectl, tempNamespace } from './kube.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);
let ns = '';

test.before(async () => {
  await installCrd();
  ns = await tempNamespace('crd-admission');
});
test.after.always(async () => {
  if (ns) await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

const object = (name: string, spec: unknown, extra: object = {}) => ({
  apiVersion: `${API_GROUP}/${API_VERSION}`,
  kind: KIND,
  metadata: { name, namespace: ns },
  spec,
  ...extra,
});
const create = (body: object, dryRun?: 'All') =>
  custom.createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace: ns,
    plural: PLURAL,
    body,
    dryRun,
  });

for (const c of INVALID) {
  test(`the API server rejects ${c.title} with the intended message`, async (t) => {
    const err = await t.throwsAsync(create(object(c.name ?? 'acme', c.spec), 'All'));
    t.is(apiCode(err), 422, apiMessage(err));
    t.true(apiMessage(err).includes(c.message), apiMessage(err));
    // Exactly the messages the operator's own check (used by `render`) gives.
    const ours = checkPlatform({
      metadata: { name: c.name ?? 'acme' },
      spec: c.spec as SentimentPlatform['spec'],
    }).problems;
    t.true(ours.length > 0);
    for (const m of ours) t.true(apiMessage(err).includes(m), `server lacks "${m}"`);
  });
}

for (const c of REFUSED_AFTER_RESOLUTION) {
  test(`the API server admits what only the operator's LLM sizing refuses: ${c.title}`, async (t) => {
    await t.notThrowsAsync(create(object('acme', c.spec), 'All'));
  });
}

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(new URL(f, EXAMPLES), 'utf8'))
      .map((d) => d.toJS() as SentimentPlatform)
      .filter((o) => o?.kind === KIND)
      .map((o) => ({ file: f, o })),
  );

test('every example is admitted', async (t) => {
  t.true(examples.length >= 5);
  for (const { file, o } of examples) {
    await create(object(o.metadata.name, o.spec), 'All').catch((err: unknown) =>
      t.fail(`${file} ${o.metadata.name}: ${apiMessage(err)}`),
    );
  }
  t.pass();
});

test('defaults: an empty spec becomes the demo profile; ingress.className defaults to alb', async (t) => {
  const made = (await create(object('defaults', undefined), 'All')) as SentimentPlatform;
  t.is(made.spec.profile, 'demo');
  const withIngress = (await create(
    object('defaults2', { ingress: { host: 'a.example.com' } }),
    'All',
  )) as SentimentPlatform;
  t.is(withIngress.spec.ingress?.className, 'alb');
  t.is(withIngress.spec.api, undefined, 'no schema default pre-empts the profile');
});

test('status is a subresource and kubectl get sp shows Phase, Ready, LLM, Est. $/month', async (t) => {
  await create(object('shown', { profile: 'production' }));
  // Writes to the main resource ignore status; only the subresource sets it.
  await custom.patchNamespacedCustomObjectStatus({
    group: API_GROUP,
    version: API_VERSION,
    namespace: ns,
    plural: PLURAL,
    name: 'shown',
    body: [
      {
        op: 'add',
        path: '/status',
        value: {
          phase: 'Ready',
          llm: 'bedrock:anthropic.claude-3-haiku-20240307-v1:0',
          estimatedMonthlyCost: { total: 231.5, currency: 'USD', breakdown: { compute: 66 } },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'AllReady',
              message: 'all components ready',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      },
    ],
  });
  const table = await kubectl('get', 'sp', '-n', ns);
  const [header, row] = table.trim().split('\n');
  t.regex(header!, /^NAME\s+PHASE\s+READY\s+LLM\s+EST\. \$\/MONTH\s+AGE$/);
  t.regex(row!, /^shown\s+Ready\s+True\s+bedrock:anthropic\.claude-3-haiku-20240307-v1:0\s+231\.5\s+\S+$/);
  t.regex(await kubectl('get', 'sp', '-n', ns, '-o', 'wide'), /PROFILE[\s\S]*production/);
});

test('kubectl explain teaches the fields', async (t) => {
  // The OpenAPI document of a new CRD is published asynchronously.
  let out = '';
  for (let i = 0; i < 40 && !out.includes('bedrock'); i++) {
    out = await kubectl('explain', 'sp.spec.llm').catch(() => '');
    if (!out.includes('bedrock')) await new Promise((r) => setTimeout(r, 500));
  }
  t.regex(out, /large language model that answers natural-language questions/);
  t.regex(out, /selfHosted/);
  t.regex(await kubectl('explain', 'sp.spec.llm.selfHosted.capacity'), /Fargate has no GPUs/);
});
