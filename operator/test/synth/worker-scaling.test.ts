// The worker's autoscaler as synth writes it: a KEDA ScaledObject on the ingest queue where the cluster
// serves KEDA, an HPA on CPU elsewhere, none while hibernated or in demo; and the quota it is fenced by.
import test from 'ava';
import {
  REDIS_SCALER_KEYS,
  ingestWaitListKey,
  tenantIdentity,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { synthesize, type KubeObject } from '../../src/synth/index.js';
import { find, has, type Json } from './helpers.js';

const NS = 'tenant-acme';
const render = (spec: SentimentPlatformSpec, options: Parameters<typeof synthesize>[1] = {}) =>
  synthesize({ metadata: { name: 'acme', namespace: NS }, spec }, options);
const withKeda = (spec: SentimentPlatformSpec, dataServicesCa?: string) =>
  render(spec, { keda: true, ...(dataServicesCa && { dataServicesCa }) }).objects;
const kedaObjects = (objects: KubeObject[]) => objects.filter((o) => o.apiVersion === 'keda.sh/v1alpha1');

test('with KEDA: a ScaledObject on the BullMQ wait list of the tenant, and no replicas or HPA of our own', (t) => {
  const objects = withKeda({ profile: 'production' });
  const so = find(objects, 'ScaledObject', 'acme-worker');
  t.deepEqual(so.metadata.labels, find(objects, 'Deployment', 'acme-worker').metadata.labels);
  t.deepEqual(so.spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'acme-worker' },
    minReplicaCount: 2,
    maxReplicaCount: 10,
    triggers: [
      {
        type: 'redis',
        metadata: {
          listName: ingestWaitListKey(tenantIdentity(NS, 'acme').redisKeyPrefix),
          listLength: '4',
          activationListLength: '0',
        },
        authenticationRef: { name: 'acme-worker' },
      },
    ],
  });
  t.regex(so.spec.triggers[0].metadata.listName, /^t_[0-9a-f]{32}:ingest:wait$/);
  t.is(find(objects, 'Deployment', 'acme-worker').spec.replicas, undefined, 'KEDA owns the count');
  t.false(has(objects, 'HorizontalPodAutoscaler', 'acme-worker'));
  t.true(has(objects, 'HorizontalPodAutoscaler', 'acme-api'), "the api's stays on CPU");
});

test("with KEDA: the TriggerAuthentication reads the tenant's Redis from the provisioned data Secret", (t) => {
  const auth = find(withKeda({ profile: 'production' }), 'TriggerAuthentication', 'acme-worker');
  t.deepEqual(auth.spec, {
    secretTargetRef: [
      { parameter: 'address', name: 'acme-data', key: REDIS_SCALER_KEYS.address },
      { parameter: 'username', name: 'acme-data', key: REDIS_SCALER_KEYS.username },
      { parameter: 'password', name: 'acme-data', key: REDIS_SCALER_KEYS.password },
      { parameter: 'tls', name: 'acme-data', key: REDIS_SCALER_KEYS.tls },
    ],
  });
  // The installation's private CA, from the ConfigMap synth writes for the workloads too.
  const objects = withKeda({ profile: 'production' }, 'PEM');
  t.deepEqual(find(objects, 'TriggerAuthentication', 'acme-worker').spec.configMapTargetRef, [
    { parameter: 'ca', name: 'acme-data-ca', key: 'ca.crt' },
  ]);
  t.is(find(objects, 'ConfigMap', 'acme-data-ca').data['ca.crt'], 'PEM');
});

test('with KEDA: min 0 scales the worker to zero while nothing waits', (t) => {
  const so = find(withKeda({ profile: 'ultra-low-cost' }), 'ScaledObject', 'acme-worker');
  t.like(so.spec, { minReplicaCount: 0, maxReplicaCount: 2 });
});

test('without KEDA: an HPA on CPU, with at least one pod', (t) => {
  const objects = render({ profile: 'ultra-low-cost' }).objects;
  t.deepEqual(kedaObjects(objects), []);
  const hpa = find(objects, 'HorizontalPodAutoscaler', 'acme-worker');
  t.like(hpa.spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'acme-worker' },
    minReplicas: 1,
    maxReplicas: 2,
  });
  t.is((hpa.spec.metrics as Json[])[0]!.resource.target.averageUtilization, 70);
  t.is(find(objects, 'Deployment', 'acme-worker').spec.replicas, undefined, 'the HPA owns the count');
  t.like(find(render({ profile: 'production' }).objects, 'HorizontalPodAutoscaler', 'acme-worker').spec, {
    minReplicas: 2,
    maxReplicas: 10,
  });
});

test("a Redis Secret of the user's: the HPA even with KEDA, and a warning saying why", (t) => {
  const { objects, warnings } = render(
    { profile: 'production', data: { redis: { secretRef: { name: 'my-redis' } } } },
    { keda: true },
  );
  t.deepEqual(kedaObjects(objects), []);
  t.true(has(objects, 'HorizontalPodAutoscaler', 'acme-worker'));
  t.true(warnings.some((w) => w.startsWith('worker.autoscaling: data.redis.secretRef')));
});

test('demo, or autoscaling off: a fixed count and no autoscaler of either kind', (t) => {
  const cases: [SentimentPlatformSpec, number][] = [
    [{}, 1],
    [{ profile: 'production', worker: { autoscaling: { enabled: false } } }, 2],
  ];
  for (const [spec, replicas] of cases) {
    const objects = withKeda(spec);
    t.deepEqual(kedaObjects(objects), []);
    t.false(has(objects, 'HorizontalPodAutoscaler', 'acme-worker'));
    t.is(find(objects, 'Deployment', 'acme-worker').spec.replicas, replicas);
  }
});

test('hibernate: no ScaledObject, TriggerAuthentication or HPA of the worker, which is at zero', (t) => {
  for (const keda of [true, false]) {
    const objects = render({ profile: 'production', hibernate: true }, { keda }).objects;
    t.deepEqual(kedaObjects(objects), []);
    t.false(has(objects, 'HorizontalPodAutoscaler', 'acme-worker'));
    t.is(find(objects, 'Deployment', 'acme-worker').spec.replicas, 0);
  }
});

test('quota: the worker counts at its autoscaling max (plus surge), whichever autoscaler scales it', (t) => {
  // production: api max 20 → 25, worker max 10 → 13, ml max 10 → 13 pods.
  for (const keda of [true, false]) {
    const q = find(render({ profile: 'production' }, { keda }).objects, 'ResourceQuota', 'acme-quota');
    t.is(q.spec.hard.pods, String(25 + 13 + 13));
  }
  const fixed = render({ profile: 'production', worker: { autoscaling: { enabled: false } } }).objects;
  t.is(find(fixed, 'ResourceQuota', 'acme-quota').spec.hard.pods, String(25 + 3 + 13));
});
