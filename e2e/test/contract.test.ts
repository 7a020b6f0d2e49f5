// The operator ↔ workloads contract, end to end without a cluster: the environment the operator renders for
// a platform's containers (ConfigMap, Secret references, literal env) is fed to the API's and the ML
// service's own config loaders. Both must start, and with this tenant's prefixes: an env name renamed on
// one side only would leave the API on the shared defaults, i.e. in every tenant's keys and indices.
import test from 'ava';
import { configFromEnv } from '@sentiment/ml';
import { loadConfig } from '@sentiment/api';
import {
  AUTH_SECRET_KEYS,
  DATA_SECRET_KEYS,
  HTTP_PORT,
  authSecretName,
  dataSecretName,
  tenantIdentity,
} from '@sentiment/crds';
import { synthesize, type KubeObject } from '@sentiment/operator';

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

// What the Secrets hold in a cluster (the operator's data Secret, the auth Secret): URLs and keys of the right shape.
const SECRETS: Record<string, Record<string, string>> = {
  [dataSecretName('acme')]: {
    [DATA_SECRET_KEYS.postgres]: 'postgres://t:p@db.example:5432/t',
    [DATA_SECRET_KEYS.redis]: 'rediss://t:p@cache.example:6379',
    [DATA_SECRET_KEYS.opensearch]: 'https://t:p@search.example',
  },
  [authSecretName('acme')]: {
    [AUTH_SECRET_KEYS.jwtSecret]: 'k'.repeat(48),
    [AUTH_SECRET_KEYS.adminEmail]: 'admin@sentiment.local',
    [AUTH_SECRET_KEYS.adminPassword]: 'a-generated-password',
  },
};

/** A container's environment as the kubelet assembles it: envFrom in order, then env, which wins. */
function environment(objects: KubeObject[], deployment: string): Record<string, string> {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === deployment) as unknown as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const c = d.spec.template.spec.containers[0]!;
  const out: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef!.name,
      ) as unknown as { data: Record<string, string> };
      Object.assign(out, cm.data);
    }
    if (from.secretRef) Object.assign(out, SECRETS[from.secretRef.name]);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref ? SECRETS[ref.name]?.[ref.key] : e.value;
    if (value !== undefined) out[e.name] = value;
  }
  return out;
}

const platform = {
  // As the operator reads it from the API server: with its uid, which the API binds tokens to.
  metadata: { name: 'acme', namespace: 'tenant-acme', uid: '6f1c1d2e-0000-4000-8000-000000000001' },
  spec: { profile: 'production' as const, ingress: { host: 'acme.example.com' } },
};

test("the API and the worker start from the rendered environment, on the tenant's own prefixes", (t) => {
  const { objects } = synthesize(platform);
  const id = tenantIdentity('tenant-acme', 'acme');
  for (const [deployment, role] of [
    ['acme-api', 'api'],
    ['acme-worker', 'worker'],
  ] as const) {
    const config = loadConfig(environment(objects, deployment), role);
    t.is(config.SENTIMENT_PLATFORM, 'acme', deployment);
    t.is(config.REDIS_KEY_PREFIX, id.redisKeyPrefix, deployment);
    t.is(config.OPENSEARCH_INDEX_PREFIX, id.opensearchIndexPrefix, deployment);
    t.is(config.DATABASE_URL, SECRETS[dataSecretName('acme')]![DATA_SECRET_KEYS.postgres], deployment);
    t.is(config.ML_URL, 'http://acme-ml:80', deployment);
    t.false(config.LOCAL_MODE, deployment);
    t.is(config.SENTIMENT_NAMESPACE, 'tenant-acme', deployment);
    t.is(config.SENTIMENT_PLATFORM_UID, platform.metadata.uid, deployment);
    t.is(config.TRUSTED_PROXY_HOPS, 1, `${deployment}: behind the ALB`);
  }
});

test('the ML service starts from the rendered environment on the port its probes and Service use', (t) => {
  const { objects } = synthesize(platform);
  const ml = configFromEnv(environment(objects, 'acme-ml'));
  t.is(ml.port, HTTP_PORT);
});
