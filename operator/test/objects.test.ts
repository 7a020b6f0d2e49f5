import test from 'ava';
import { AUTH_SECRET_KEYS, LABELS, MANAGED_BY, type SentimentPlatform } from '@sentiment/crds';
import {
  BOOTSTRAP_ADMIN_EMAIL,
  decodeSecretData,
  generateAuthValues,
  platformSecret,
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
