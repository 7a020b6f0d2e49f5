// The operator's admin credentials from the Secrets Manager secrets of a CDK-built environment (moto, the real
// SDK), used against the real Postgres, Redis and OpenSearch: a tenant is provisioned with them, a rotated
// secret is read again when the service refuses the old one, and a wrong or missing secret is a clear error
// that names the secret and never shows a credential.
import test from 'ava';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { Redis } from 'ioredis';
import { DATA_SECRET_KEYS, OPERATOR_MANAGED_ENV as E, resolveSpec, tenantIdentity } from '@sentiment/crds';
import { awsClientConfig, loadTestEnv, sql } from '@sentiment/testenv';
import {
  managedDataServicesFromEnv,
  secretsManagerAdminCredentials,
  type ManagedDataServices,
} from '../src/tenancy/admin-credentials.js';
import { TenancyProvisioner } from '../src/tenancy/provisioner.js';
import { tenantRef } from './tenant-ref.js';

const env = loadTestEnv();
const run = Date.now().toString(36);
const spec = resolveSpec({ profile: 'demo' });
const pgAdmin = new URL(env.DATABASE_URL);
// The managed Redis is the ElastiCache-like one: RBAC, ACL refused, tenant users through the ElastiCache API.
const redisAdmin = new URL(env.ELASTICACHE_REDIS_URL);
const osAdmin = new URL(env.OPENSEARCH_URL);

// The real SDK client against moto; a middleware records which secrets are read (tests run concurrently).
const sm = new SecretsManagerClient(awsClientConfig(env));
const elastiCache = new ElastiCacheClient(awsClientConfig(env));
const reads: string[] = [];
sm.middlewareStack.add(
  (next, context) => (args) => {
    if (context.commandName === 'GetSecretValueCommand')
      reads.push((args.input as { SecretId: string }).SecretId);
    return next(args);
  },
  { step: 'initialize' },
);

let secrets = 0;
async function createSecret(name: string, value: string): Promise<string> {
  const unique = `${name}-${run}-${++secrets}`;
  const out = await sm.send(new CreateSecretCommand({ Name: unique, SecretString: value }));
  return out.ARN!;
}

/** The three secrets in the shapes the CDK app writes, holding the test services' admin credentials. */
async function cdkSecrets(pgUser: string, pgPassword: string) {
  return {
    // rds.DatabaseSecret: JSON with username and password (and more the operator ignores).
    postgres: await createSecret(
      'rds',
      JSON.stringify({ engine: 'postgres', username: pgUser, password: pgPassword, port: 5432 }),
    ),
    // The operator's ElastiCache RBAC user.
    redis: await createSecret(
      'redis-admin',
      JSON.stringify({ username: redisAdmin.username, password: decodeURIComponent(redisAdmin.password) }),
    ),
    // The OpenSearch FGAC master user.
    opensearch: await createSecret(
      'search-master',
      JSON.stringify({ username: osAdmin.username, password: decodeURIComponent(osAdmin.password) }),
    ),
  };
}

/** The operator's environment as the chart renders it from the infra's `platform` values. */
function managed(arns: { postgres: string; redis: string; opensearch: string }): ManagedDataServices {
  return managedDataServicesFromEnv({
    [E.postgresHost]: pgAdmin.hostname,
    [E.postgresPort]: pgAdmin.port,
    [E.postgresSecretArn]: arns.postgres,
    [E.redisHost]: redisAdmin.hostname,
    [E.redisPort]: redisAdmin.port,
    [E.redisSecretArn]: arns.redis,
    [E.redisUserGroupId]: env.ELASTICACHE_USER_GROUP,
    [E.opensearchEndpoint]: `${osAdmin.protocol}//${osAdmin.host}`,
    [E.opensearchSecretArn]: arns.opensearch,
  });
}

/** The provisioner as `run` configures it for a CDK-built environment (commands/data-services.ts). */
function managedProvisioner(arns: { postgres: string; redis: string; opensearch: string }) {
  const services = managed(arns);
  return new TenancyProvisioner({
    admin: secretsManagerAdminCredentials(sm, services),
    elastiCache: { client: elastiCache, userGroupId: services.redis!.userGroupId, pollMs: 100 },
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('admin credentials from the CDK secrets: a tenant is provisioned in all three services', async (t) => {
  const arns = await cdkSecrets(pgAdmin.username, decodeURIComponent(pgAdmin.password));
  const provisioner = managedProvisioner(arns);
  const ns = `aws-seam-${run}`;
  cleanups.push(() => provisioner.teardown(tenantRef(ns, 'acme'), spec.data));
  const id = tenantIdentity(ns, 'acme');
  const result = await provisioner.ensure(tenantRef(ns, 'acme'), spec);

  t.deepEqual(result.provisioned.sort(), ['opensearch', 'postgres', 'redis']);
  const [me] = await sql(result.secretData[DATA_SECRET_KEYS.postgres]!, 'select current_user as u');
  t.is(me!.u, id.id);
  t.regex(result.secretData[DATA_SECRET_KEYS.postgres]!, /sslmode=verify-full/);
  const redisUrl = result.secretData[DATA_SECRET_KEYS.redis]!;
  t.true(redisUrl.startsWith('rediss://'), 'ElastiCache in-transit encryption: the tenant connects over TLS');
  t.is(decodeURIComponent(new URL(redisUrl).username), id.id);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  t.is(await redis.set(`${id.redisKeyPrefix}k`, 'v'), 'OK', "the tenant's own user, on its prefix");
  await t.throwsAsync(redis.set('elsewhere', 'v'), { message: /NOPERM/ });
  redis.disconnect();
  const search = new OpenSearch({ node: result.secretData[DATA_SECRET_KEYS.opensearch]! });
  const info = await search.transport.request({ method: 'GET', path: '/_plugins/_security/authinfo' });
  t.is((info.body as { user_name: string }).user_name, id.id);
});

test('a rotated secret is read again when Postgres refuses the old password, and provisioning goes on', async (t) => {
  // An RDS-like master: not a superuser, may create roles and databases.
  const admin = `rot_admin_${run}`;
  const before = `before-${run}`;
  const after = `after-${run}`;
  await sql(env.DATABASE_URL, `create role ${admin} login createrole createdb password '${before}'`);
  // On RDS the master user owns the `postgres` database; the operator revokes PUBLIC's CONNECT on it.
  await sql(env.DATABASE_URL, `grant connect on database postgres to ${admin}`);
  cleanups.push(() => sql(env.DATABASE_URL, `drop owned by ${admin}; drop role if exists ${admin}`));
  const arns = await cdkSecrets(admin, before);
  const provisioner = managedProvisioner(arns);
  const ns = `aws-rotate-${run}`;
  cleanups.push(() => provisioner.teardown(tenantRef(ns, 'acme'), spec.data));
  await provisioner.ensure(tenantRef(ns, 'acme'), spec);

  // Rotation: the password changes in the database and in the secret (the rotation Lambda's two steps).
  await sql(env.DATABASE_URL, `alter role ${admin} password '${after}'`);
  await sm.send(
    new PutSecretValueCommand({
      SecretId: arns.postgres,
      SecretString: JSON.stringify({ username: admin, password: after }),
    }),
  );
  const readsBefore = reads.length;
  const again = await provisioner.ensure(tenantRef(ns, 'acme'), spec);
  const mine = new Set(Object.values(arns));
  t.deepEqual(
    reads.slice(readsBefore).filter((id) => mine.has(id)),
    [arns.postgres],
    'the postgres secret alone was read again, once',
  );
  const [me] = await sql(again.secretData[DATA_SECRET_KEYS.postgres]!, 'select current_user as u');
  t.is(me!.u, tenantIdentity(ns, 'acme').id);
});

test('a wrong, malformed or missing secret is an error naming the secret, never a credential', async (t) => {
  const good = await cdkSecrets(pgAdmin.username, decodeURIComponent(pgAdmin.password));
  const wrongPassword = `not-the-password-${run}`;
  const cases: { name: string; arns: typeof good; message: RegExp }[] = [
    {
      name: 'wrong password',
      arns: {
        ...good,
        postgres: await createSecret(
          'rds-wrong',
          JSON.stringify({ username: pgAdmin.username, password: wrongPassword }),
        ),
      },
      message:
        /^postgres: refused the operator's admin credentials, also after reading them again: authentication failed \(SQLSTATE 28P01\)/,
    },
    {
      name: 'not JSON',
      arns: { ...good, opensearch: await createSecret('search-plain', wrongPassword) },
      message:
        /^the opensearch admin secret arn:aws:secretsmanager:\S+ is not JSON with "username" and "password"/,
    },
    {
      name: 'missing',
      arns: {
        ...good,
        redis: `arn:aws:secretsmanager:${env.AWS_REGION}:123456789012:secret:gone-${run}-AbCdEf`,
      },
      message: /^could not read the redis admin secret arn:\S+gone-\S+: ResourceNotFoundException/,
    },
  ];
  // What a case provisioned before it failed is removed with the good credentials.
  const cleaner = managedProvisioner(good);
  const ns = `aws-bad-${run}`;
  for (const c of cases) {
    const name = c.name.replace(/\W/g, '');
    cleanups.push(() => cleaner.teardown(tenantRef(ns, name), spec.data));
    const provisioner = managedProvisioner(c.arns);
    const err = await t.throwsAsync(provisioner.ensure(tenantRef(ns, name), spec), undefined, c.name);
    t.regex(err!.message, c.message, c.name);
    t.false(err!.message.includes(wrongPassword), `${c.name}: the message shows no secret value`);
    t.false(err!.message.includes(decodeURIComponent(pgAdmin.password)), `${c.name}: nor the admin password`);
  }
});

test('the managed services are read from the environment whole, or the operator says what is missing', (t) => {
  t.deepEqual(managedDataServicesFromEnv({}), {});
  t.throws(() => managedDataServicesFromEnv({ [E.redisHost]: 'r.example', [E.redisPort]: '6379' }), {
    message: `the managed redis is configured in part: ${E.redisSecretArn}, ${E.redisUserGroupId} missing`,
  });
  t.throws(
    () =>
      managedDataServicesFromEnv({
        [E.postgresHost]: 'db.example',
        [E.postgresPort]: 'five',
        [E.postgresSecretArn]: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
      }),
    { message: `${E.postgresPort} must be a port number, got "five"` },
  );
});
