// The worker's ScaledObject and TriggerAuthentication against KEDA's own CRDs, as released (test/env
// installs them: apply_keda_crds): accepted by server-side apply (dry run, strict field validation) and read
// back unchanged, so a field KEDA does not know or a wrong type fails here rather than in a tenant namespace.
import test from 'ava';
import { synthesize, type KubeObject } from '../../src/synth/index.js';
import { dryRunApply, kubectl, tempNamespace } from './kube.js';
import type { Json } from './helpers.js';

let ns = '';
test.before(async () => {
  ns = await tempNamespace('synth-keda');
});
test.after.always(async () => {
  if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

const dryRun = (objects: KubeObject[]) => dryRunApply(ns, objects);

const kedaObjects = (dataServicesCa?: string) =>
  synthesize(
    { metadata: { name: 'acme', namespace: ns }, spec: { profile: 'ultra-low-cost' } },
    { keda: true, ...(dataServicesCa && { dataServicesCa }) },
  ).objects.filter((o) => o.apiVersion === 'keda.sh/v1alpha1');

for (const ca of [undefined, 'PEM']) {
  test.serial(
    `ScaledObject and TriggerAuthentication${ca ? ' with a data CA' : ''} pass KEDA's schema and read back as rendered`,
    async (t) => {
      const objects = kedaObjects(ca);
      t.deepEqual(objects.map((o) => o.kind).sort(), ['ScaledObject', 'TriggerAuthentication']);
      const parsed = JSON.parse(await dryRun(objects)) as { items?: Json[] };
      const items = parsed.items ?? [parsed as Json];
      for (const [i, o] of objects.entries()) {
        t.like(items[i], { kind: o.kind, metadata: { name: o.metadata.name } });
        t.deepEqual(items[i]!.spec, o.spec, `${o.kind}/${o.metadata.name}`);
      }
    },
  );
}

test.serial('the schema is really checked: a misspelt field and a wrong type are refused', async (t) => {
  const so = kedaObjects().find((o) => o.kind === 'ScaledObject')!;
  const withSpec = (fields: Json): KubeObject => ({ ...so, spec: { ...(so.spec as Json), ...fields } });
  await t.throwsAsync(dryRun([withSpec({ maxReplicas: 3 })]), {
    message: /\.spec\.maxReplicas: field not declared in schema/,
  });
  await t.throwsAsync(dryRun([withSpec({ minReplicaCount: 'none' })]), { message: /spec\.minReplicaCount/ });
});

test.serial(
  "a self-hosted LLM's ScaledObject (Prometheus triggers, scale to zero) passes KEDA's schema",
  async (t) => {
    const objects = synthesize(
      {
        metadata: { name: 'acme', namespace: ns },
        spec: {
          llm: {
            provider: 'self-hosted',
            selfHosted: {
              model: 'meta-llama/Llama-3.1-8B-Instruct',
              autoscaling: { enabled: true, min: 0, max: 3 },
            },
          },
        },
      },
      { keda: true, prometheusUrl: 'http://prometheus-operated.monitoring:9090' },
    ).objects.filter((o) => o.kind === 'ScaledObject' && o.metadata.name === 'acme-llm');
    t.is(objects.length, 1);
    const parsed = JSON.parse(await dryRun(objects)) as Json;
    t.deepEqual(parsed.spec, objects[0]!.spec);
  },
);
