import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { SentimentPlatform } from '@sentiment/crds';
import {
  KEDA_KINDS,
  MONITORING_KINDS,
  OWNED_KINDS,
  kindKey,
  namespacedPath,
  objectPath,
} from '../src/kube/resources.js';
import { DEFAULT_PROMETHEUS_NAMESPACE, synthesize } from '../src/synth/index.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

test('every kind the synth emits for any example, monitoring and KEDA included, is watched, so drift and prune cover it', (t) => {
  const watched = new Set(
    [...OWNED_KINDS, ...MONITORING_KINDS, ...KEDA_KINDS].map((k) => kindKey(k.apiVersion, k.kind)),
  );
  const monitoring = { prometheusNamespace: DEFAULT_PROMETHEUS_NAMESPACE };
  const emitted = new Set<string>();
  for (const file of readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(examples, file), 'utf8'))) {
      const obj = doc.toJS() as SentimentPlatform | null;
      if (obj?.kind !== 'SentimentPlatform') continue;
      for (const o of synthesize(obj, { monitoring, keda: true }).objects)
        emitted.add(kindKey(o.apiVersion, o.kind));
    }
  }
  t.true(emitted.size >= 12);
  t.deepEqual(
    [...emitted].filter((k) => !watched.has(k)),
    [],
  );
});

test('object paths', (t) => {
  t.is(objectPath('apps/v1', 'Deployment', 'ns', 'a'), '/apis/apps/v1/namespaces/ns/deployments/a');
  t.is(objectPath('v1', 'Secret', 'ns', 'a'), '/api/v1/namespaces/ns/secrets/a');
  t.is(
    objectPath('sentiment.analytics.dev/v1alpha1', 'SentimentPlatform', 'ns', 'a'),
    '/apis/sentiment.analytics.dev/v1alpha1/namespaces/ns/sentimentplatforms/a',
  );
  t.throws(() => objectPath('v1', 'Pod', 'ns', 'a'), { message: /not a kind the operator manages/ });
  t.is(namespacedPath('v1', 'Secret', 'ns'), '/api/v1/namespaces/ns/secrets');
});
