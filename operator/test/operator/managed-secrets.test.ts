// The operator of a CDK-built environment (admin credentials in Secrets Manager: moto, the real SDK) when a
// secret cannot be read: the platform says so in status and in one Warning event, the operator keeps
// retrying with backoff instead of crashing, and the tenant is provisioned once the secret exists.
import test from 'ava';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventsV1Api } from '@kubernetes/client-node';
import { awsClientConfig } from '@sentiment/testenv';
import { setTimeout as sleep } from 'node:timers/promises';
import { secretsManagerAdminCredentials } from '../../src/tenancy/admin-credentials.js';
import type { Manager } from '../../src/manager.js';
import {
  adminKc,
  builtWorkloads,
  condition,
  createPlatform,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const sm = new SecretsManagerClient(awsClientConfig(env));
const events = adminKc.makeApiClient(EventsV1Api);
const run = Date.now().toString(36);
const url = (u: string) => new URL(u);
let operator: Manager | undefined;
let ns: string | undefined;

test.after.always(async () => {
  await operator?.stop();
  if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

const spec = {
  profile: 'demo' as const,
  ...builtWorkloads,
};

test('an unreadable admin secret: DataServicesUnavailable naming it, one Warning event, provisioned once it exists', async (t) => {
  await installCrd();
  const namespace = await tempNamespace('op-secrets');
  ns = namespace;
  const pg = url(env.DATABASE_URL);
  const redis = url(env.ELASTICACHE_REDIS_URL);
  const os = url(env.OPENSEARCH_URL);
  const secret = async (name: string, value: string) =>
    (await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
  // The Postgres secret does not exist yet (a stack deployed out of order, a wrong ARN in the values).
  const pgSecret = `rds-admin-late-${run}`;
  const admin = secretsManagerAdminCredentials(sm, {
    postgres: { host: pg.hostname, port: Number(pg.port), secretArn: pgSecret },
    redis: {
      host: redis.hostname,
      port: Number(redis.port),
      secretArn: await secret(
        `redis-admin-${run}`,
        JSON.stringify({ username: redis.username, password: decodeURIComponent(redis.password) }),
      ),
      userGroupId: env.ELASTICACHE_USER_GROUP,
    },
    opensearch: {
      endpoint: `${os.protocol}//${os.host}`,
      secretArn: await secret(
        `search-master-${run}`,
        JSON.stringify({ username: os.username, password: decodeURIComponent(os.password) }),
      ),
    },
  });
  operator = startOperator([ns], {
    dataServices: {
      admin,
      elastiCache: {
        client: new ElastiCacheClient(awsClientConfig(env)),
        userGroupId: env.ELASTICACHE_USER_GROUP,
        pollMs: 200,
      },
    },
  });
  await operator.start();
  await createPlatform(namespace, 'acme', spec);

  const refused = await waitFor('DataServicesUnavailable', async () => {
    const c = condition(await getPlatform(namespace, 'acme'), 'DataServicesReady');
    return c?.reason === 'DataServicesUnavailable' && c;
  });
  t.is(refused.status, 'False');
  t.regex(
    refused.message,
    new RegExp(`^could not read the postgres admin secret ${pgSecret}: ResourceNotFoundException`),
  );
  // Backoff retries (200 ms doubling here) keep failing the same way: still one Warning event.
  await sleep(2_000);
  const warnings = (
    await events.listNamespacedEvent({ namespace, fieldSelector: 'regarding.name=acme,type=Warning' })
  ).items;
  t.deepEqual(
    warnings.filter((e) => e.reason !== 'SpecWarning').map((e) => [e.reason, e.note]),
    [['DataServicesUnavailable', refused.message]],
  );
  // The spec's own warnings (no IAM role for Bedrock, no ingress host) are told once per generation, too.
  t.deepEqual(
    warnings
      .filter((e) => e.reason === 'SpecWarning')
      .map((e) => e.note?.split(' ')[0])
      .sort(),
    ['ingress.host', 'llm.provider'],
  );

  await secret(
    pgSecret,
    JSON.stringify({ username: pg.username, password: decodeURIComponent(pg.password) }),
  );
  const provisioned = await waitFor('DataServicesReady', async () => {
    const c = condition(await getPlatform(namespace, 'acme'), 'DataServicesReady');
    return c?.status === 'True' && c;
  });
  t.is(provisioned.reason, 'Provisioned');
  // Deleted while the operator runs, so its finalizer drops the tenant's data.
  await deletePlatform(namespace, 'acme');
  await waitFor('platform finalized', async () => !(await getPlatform(namespace, 'acme')));
});
