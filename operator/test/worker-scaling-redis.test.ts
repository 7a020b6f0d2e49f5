// What the worker's KEDA trigger authenticates with: the Redis parts of the provisioned data Secret
// (REDIS_SCALER_KEYS) log in to the real test Redis as the tenant, whose ACL lets it read its own queue's
// wait list and refuses another tenant's, as it refuses the tenant's pods.
import test from 'ava';
import { Redis } from 'ioredis';
import { loadTestEnv } from '@sentiment/testenv';
import { REDIS_SCALER_KEYS, ingestWaitListKey, resolveSpec, tenantIdentity } from '@sentiment/crds';
import { TenancyProvisioner, servicesToProvision } from '../src/tenancy/provisioner.js';
import { tenantRef } from './tenant-ref.js';

const env = loadTestEnv();
const provisioner = new TenancyProvisioner({ redisAdminUrl: env.REDIS_URL });
// Only Redis is provisioned: the other services are the tenant's own.
const spec = resolveSpec({
  profile: 'production',
  data: {
    postgres: { secretRef: { name: 'own-pg' } },
    opensearch: { endpoint: 'https://search.example.com' },
  },
});
const ns = `keda-redis-${Date.now().toString(36)}`;

test.after.always(async () => {
  await provisioner.teardown(tenantRef(ns, 'acme'), spec.data).catch(() => undefined);
});

test("KEDA's keys of the data Secret log in as the tenant, who may read its wait list and no other", async (t) => {
  t.deepEqual(servicesToProvision(spec.data), ['redis']);
  const secret = (await provisioner.ensure(tenantRef(ns, 'acme'), spec)).secretData;
  const address = secret[REDIS_SCALER_KEYS.address]!;
  const at = address.lastIndexOf(':');
  const redis = new Redis({
    host: address.slice(0, at),
    port: Number(address.slice(at + 1)),
    username: secret[REDIS_SCALER_KEYS.username]!,
    password: secret[REDIS_SCALER_KEYS.password]!,
    ...(secret[REDIS_SCALER_KEYS.tls] === 'enable' && { tls: {} }),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.is(await redis.acl('WHOAMI'), tenantIdentity(ns, 'acme').id);
  t.is(await redis.llen(ingestWaitListKey(tenantIdentity(ns, 'acme').redisKeyPrefix)), 0);
  await t.throwsAsync(redis.llen(ingestWaitListKey(tenantIdentity(`${ns}-other`, 'acme').redisKeyPrefix)), {
    message: /NOPERM/,
  });
});
