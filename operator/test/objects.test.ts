import test from 'ava';
import { AUTH_SECRET_KEYS, LABELS, MANAGED_BY, type SentimentPlatform } from '@sentiment/crds';
import { isSubset } from '../src/reconcile/compare.js';
import {
  APPLIED_DIGEST_ANNOTATION,
  BOOTSTRAP_ADMIN_EMAIL,
  decodeSecretData,
  generateAuthValues,
  platformSecret,
  withAppliedDigest,
} from '../src/reconcile/objects.js';

const platform = {
  apiVersion: 'sentiment.analytics.dev/v1alpha1',
  kind: 'SentimentPlatform',
  metadata: { name: 'acme', namespace: 'tenant-acme', uid: 'u1' },
  spec: {},
} as SentimentPlatform;

test('generated auth values meet the API: JWT ≥ 32 chars, password ≥ 12, a valid email; fresh each time', (t) => {
  const a = generateAuthValues();
  const b = generateAuthValues();
  t.deepEqual(Object.keys(a).sort(), Object.values(AUTH_SECRET_KEYS).sort());
  t.is(a[AUTH_SECRET_KEYS.jwtSecret]!.length, 64);
  t.is(a[AUTH_SECRET_KEYS.adminPassword]!.length, 24);
  t.regex(a[AUTH_SECRET_KEYS.jwtSecret]!, /^[A-Za-z0-9_-]+$/, 'base64url: safe in env and shells');
  t.is(a[AUTH_SECRET_KEYS.adminEmail], BOOTSTRAP_ADMIN_EMAIL);
  t.not(a[AUTH_SECRET_KEYS.jwtSecret], b[AUTH_SECRET_KEYS.jwtSecret]);
  t.not(a[AUTH_SECRET_KEYS.adminPassword], b[AUTH_SECRET_KEYS.adminPassword]);
});

test('platform Secrets: our labels, the component, base64 data that decodes back', (t) => {
  const values = generateAuthValues();
  const s = platformSecret(platform, 'acme-auth', 'auth', values) as {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    data: Record<string, string>;
  };
  t.like(s.metadata, { name: 'acme-auth', namespace: 'tenant-acme' });
  t.like(s.metadata.labels, {
    [LABELS.component]: 'auth',
    [LABELS.platform]: 'acme',
    [LABELS.managedBy]: MANAGED_BY,
  });
  t.deepEqual(decodeSecretData(s), values);
  t.false(
    JSON.stringify(s).includes(values[AUTH_SECRET_KEYS.adminPassword]!),
    'values travel base64-encoded in data',
  );
});

test('the applied digest makes a field we stopped setting a difference; the same object keeps its digest', (t) => {
  const deployment = (spec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'acme-api',
      namespace: 'tenant-acme',
      annotations: { a: '1' } as Record<string, string>,
    },
    spec: { selector: {}, ...spec },
  });
  // What the cluster holds after a hibernated apply: replicas 0, plus what the API server adds.
  const live = { ...withAppliedDigest(deployment({ replicas: 0 })), status: { replicas: 0 } };
  const woken = deployment({});
  t.true(isSubset(woken, live), 'without the digest the woken Deployment looks applied already');
  t.false(isSubset(withAppliedDigest(woken), live));
  t.true(isSubset(withAppliedDigest(deployment({ replicas: 0 })), live), 'a resync stays write-free');
  t.regex(live.metadata.annotations[APPLIED_DIGEST_ANNOTATION]!, /^[0-9a-f]{16}$/);
  t.is(live.metadata.annotations.a, '1', "the object's own annotations stay");
});
