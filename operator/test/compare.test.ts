import test from 'ava';
import { canonicalJson, isSubset } from '../src/reconcile/compare.js';
import { quantityValue as parseQuantity } from '../src/synth/quantity.js';

test('quantities compare by value', (t) => {
  t.is(parseQuantity('500m'), 0.5);
  t.is(parseQuantity('1Gi'), 2 ** 30);
  t.is(parseQuantity('1024Mi'), 2 ** 30);
  t.is(parseQuantity('1e3'), 1000);
  t.is(parseQuantity('2'), 2);
  t.is(parseQuantity('abc'), undefined);
  t.true(isSubset({ cpu: '0.5', memory: '1024Mi' }, { cpu: '500m', memory: '1Gi' }));
  t.false(isSubset({ cpu: '0.5' }, { cpu: '600m' }));
});

test('desired is a subset of live when the server only added fields', (t) => {
  const desired = {
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'api', image: 'x:1' }] } } },
  };
  const live = {
    metadata: { resourceVersion: '7', managedFields: [] },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 10,
      template: {
        spec: { containers: [{ name: 'api', image: 'x:1', terminationMessagePath: '/dev/termination-log' }] },
      },
    },
    status: { readyReplicas: 2 },
  };
  t.true(isSubset(desired, live));
});

test('an edited field, a removed list element, or a missing object is a difference', (t) => {
  const desired = { spec: { replicas: 2, ports: [{ port: 80 }, { port: 81 }] } };
  t.false(isSubset(desired, { spec: { replicas: 3, ports: [{ port: 80 }, { port: 81 }] } }));
  t.false(isSubset(desired, { spec: { replicas: 2, ports: [{ port: 80 }] } }));
  t.false(isSubset(desired, undefined));
  t.false(isSubset({ data: { a: 'x' } }, { data: {} }));
});

test('null in desired (cdk8s creationTimestamp) is ignored', (t) => {
  t.true(isSubset({ metadata: { creationTimestamp: null, name: 'a' } }, { metadata: { name: 'a' } }));
});

test('canonical JSON ignores key order', (t) => {
  t.is(
    canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } }),
    canonicalJson({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }),
  );
});
