// Every rendered object against the real kube-apiserver: accepted by server-side apply (dry run),
// read back unchanged (so the reconcile loop sees no phantom drift), and every pod template admitted
// as a Pod in a namespace that enforces the restricted Pod Security Standard.
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { FIELD_MANAGER, type SentimentPlatform } from '@sentiment/crds';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  synthesize,
  toYaml,
  type KubeObject,
  type SynthOptions,
} from '../../src/synth/index.js';
import { dryRunApply, kubectl, tempNamespace } from './kube.js';
import type { Json } from './helpers.js';

const EXAMPLES = new URL('../../../examples/', import.meta.url);
let ns = '';

test.before(async () => {
  ns = await tempNamespace('synth-dryrun', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
});
test.after.always(async () => {
  if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

const fromExamples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(new URL(f, EXAMPLES), 'utf8')).map((d) => d.toJS() as SentimentPlatform),
  )
  .filter((p) => p?.kind === 'SentimentPlatform');

const variants: (Pick<SentimentPlatform, 'metadata' | 'spec'> & { options?: SynthOptions })[] = [
  ...fromExamples,
  {
    // With the model cache: the LLM pod's init container and own ServiceAccount, the seed Job and its policy.
    metadata: { name: 'cached-vllm' },
    spec: {
      profile: 'production',
      llm: { provider: 'self-hosted', selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct' } },
    },
    options: {
      modelCache: {
        bucket: 'sentiment-prod-models',
        region: 'us-east-1',
        readerRoleArn: 'arn:aws:iam::123456789012:role/model-cache-reader',
        seederRoleArn: 'arn:aws:iam::123456789012:role/model-cache-seeder',
      },
    },
  },
  {
    metadata: { name: 'prod-llama' },
    spec: {
      profile: 'production',
      llm: {
        provider: 'self-hosted',
        selfHosted: { runtime: 'llama-cpp', model: 'org/M-GGUF:Q4_K_M', instanceType: 'g5.12xlarge' },
      },
    },
  },
  {
    metadata: { name: 'cheap-none' },
    spec: {
      profile: 'ultra-low-cost',
      llm: { provider: 'none' },
      data: { opensearch: { endpoint: 'https://search.example.com' } },
    },
  },
];

/** True when every field of `want` is in `got` with the same value (the server may add defaults). */
function subsetDiff(want: unknown, got: unknown, path = ''): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length)
      return [`${path}: ${JSON.stringify(want)} ≠ ${JSON.stringify(got)}`];
    return want.flatMap((w, i) => subsetDiff(w, got[i], `${path}[${i}]`));
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof got !== 'object' || got === null) return [`${path}: missing`];
    return Object.entries(want).flatMap(([k, v]) =>
      subsetDiff(v, (got as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return want === got ? [] : [`${path}: ${JSON.stringify(want)} ≠ ${JSON.stringify(got)}`];
}

for (const p of variants) {
  test.serial(
    `${p.metadata.name}: every object passes server-side apply and reads back as rendered`,
    async (t) => {
      // With tenant monitoring: test/env serves the Prometheus Operator's CRDs, whose schemas judge those objects.
      const { objects } = synthesize(
        { metadata: { name: p.metadata.name, namespace: ns }, spec: p.spec },
        { ...p.options, monitoring: { prometheusNamespace: DEFAULT_PROMETHEUS_NAMESPACE } },
      );
      const out = await dryRunApply(ns, objects);
      const parsed = JSON.parse(out) as { kind: string; items?: KubeObject[] };
      const items = parsed.items ?? [parsed as unknown as KubeObject];
      t.is(items.length, objects.length);
      for (const [i, o] of objects.entries()) {
        const { metadata, ...rest } = o;
        t.deepEqual(
          subsetDiff(
            {
              ...rest,
              metadata: { name: metadata.name, labels: metadata.labels, annotations: metadata.annotations },
            },
            items[i],
          ),
          [],
          `${o.kind}/${o.metadata.name}`,
        );
      }
    },
  );

  test.serial(`${p.metadata.name}: every pod template is admitted as a restricted Pod`, async (t) => {
    const { objects } = synthesize(
      { metadata: { name: p.metadata.name, namespace: ns }, spec: p.spec },
      p.options,
    );
    // The ServiceAccount admission plugin wants the accounts to exist for real.
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
    await kubectl(
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
      toYaml(accounts),
    );
    const pods = objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
      .map((d) => {
        const template = (d as Json).spec.template;
        return {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${d.metadata.name}-probe`, namespace: ns, labels: template.metadata.labels },
          spec: template.spec,
        };
      });
    t.true(pods.length >= 3);
    const out = await kubectl(
      ['create', '--dry-run=server', '-o', 'name', '-f', '-'],
      toYaml(pods as KubeObject[]),
    );
    t.is(out.trim().split('\n').length, pods.length);
  });
}

test.serial('control: the namespace really enforces restricted (a root pod is refused)', async (t) => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'root', namespace: ns },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
  const err = await t.throwsAsync(kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod)));
  t.regex(err!.message, /violates PodSecurity "restricted:latest"/);
});
