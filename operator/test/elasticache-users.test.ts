// Tenants' Redis users the ElastiCache way: the real SDK against moto's ElastiCache API (with the user-group
// operations and control plane of test/env/moto), applied to a Redis that refuses ACL and the other
// commands ElastiCache restricts. The access string ElastiCache stores is the one a self-managed Redis gets,
// and what it allows is checked on that Redis with the tenant's own credentials.
import test from 'ava';
import {
  CreateUserCommand,
  CreateUserGroupCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  UserNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { Redis } from 'ioredis';
import { DATA_SECRET_KEYS, resolveSpec, tenantIdentity } from '@sentiment/crds';
import { awsClientConfig, loadTestEnv } from '@sentiment/testenv';
import { staticAdminCredentials } from '../src/tenancy/admin-credentials.js';
import type { ElastiCacheUsersConfig } from '../src/tenancy/elasticache-users.js';
import { TenancyProvisioner } from '../src/tenancy/provisioner.js';
import { redisAccessString } from '../src/tenancy/redis.js';
import { tenantRef } from './tenant-ref.js';
import { sentCommands } from './sent-commands.js';

const env = loadTestEnv();
const run = Date.now().toString(36);
// A tenant that brings its own Postgres and OpenSearch: only Redis is provisioned here.
const own = { secretRef: { name: 'unused' } };
const spec = resolveSpec({ profile: 'demo', data: { postgres: own, opensearch: own } });

const client = new ElastiCacheClient(awsClientConfig(env));
const sent = sentCommands(client);
const elastiCache: ElastiCacheUsersConfig = {
  client,
  userGroupId: env.ELASTICACHE_USER_GROUP,
  pollMs: 100,
  settleTimeoutMs: 20_000,
};
const provisioner = new TenancyProvisioner({
  admin: staticAdminCredentials({ redis: env.ELASTICACHE_REDIS_URL }),
  elastiCache,
});

const connections: Redis[] = [];
async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  connections.push(redis);
  await redis.connect();
  return redis;
}
/** What the Redis answers a login with these credentials (ioredis reports it as an error event). */
async function refusal(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let reply = '';
  redis.on('error', (err: Error) => (reply ||= err.message));
  await redis.connect().catch(() => undefined);
  redis.disconnect();
  return reply;
}
const cleanups: (() => Promise<unknown>)[] = [];
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const r of connections) r.disconnect();
});

const members = async (groupId = env.ELASTICACHE_USER_GROUP) =>
  (await client.send(new DescribeUserGroupsCommand({ UserGroupId: groupId }))).UserGroups![0]!.UserIds ?? [];

test.serial('the test Redis refuses what ElastiCache refuses, even to the admin user', async (t) => {
  const admin = await connect(env.ELASTICACHE_REDIS_URL);
  for (const command of [
    ['ACL', 'SETUSER', `probe-${run}`, 'on'],
    ['ACL', 'LIST'],
    ['CONFIG', 'GET', 'maxmemory'],
    ['DEBUG', 'SLEEP', '0'],
    ['SAVE'],
  ]) {
    await t.throwsAsync(
      admin.call(command[0]!, ...command.slice(1)),
      { message: /unknown command/ },
      command[0],
    );
  }
  // ElastiCache's `default` user has no password and every permission; the group's own is off.
  const defaultUser = new URL(env.ELASTICACHE_REDIS_URL);
  defaultUser.username = '';
  t.regex(await refusal(defaultUser.toString()), /^WRONGPASS/);
});

test.serial(
  'a tenant user is made with CreateUser and ModifyUserGroup, with the access string, and works at once',
  async (t) => {
    const ns = `ec-${run}`;
    const id = tenantIdentity(ns, 'acme');
    cleanups.push(() => provisioner.teardown(tenantRef(ns, 'acme'), spec.data));
    sent.length = 0;
    const result = await provisioner.ensure(tenantRef(ns, 'acme'), spec);
    t.deepEqual(result.provisioned, ['redis']);
    t.true(sent.includes('CreateUserCommand') && sent.includes('ModifyUserGroupCommand'), sent.join());

    const [user] = (await client.send(new DescribeUsersCommand({ UserId: id.elastiCacheUserId }))).Users!;
    t.is(user!.UserName, id.id);
    t.is(user!.AccessString, redisAccessString(id.redisKeyPrefix), 'the same string ACL SETUSER gets');
    t.true((await members()).includes(id.elastiCacheUserId));

    // The Secret is written once the user works: no wait needed here.
    const url = result.secretData[DATA_SECRET_KEYS.redis]!;
    t.is(decodeURIComponent(new URL(url).username), id.id);
    const tenant = await connect(url);
    t.is(await tenant.set(`${id.redisKeyPrefix}k`, 'v'), 'OK');
    await t.throwsAsync(tenant.set('elsewhere', 'v'), { message: /NOPERM/ });
    for (const command of [['KEYS', '*'], ['SCAN', '0'], ['FLUSHALL'], ['RANDOMKEY'], ['SELECT', '1']]) {
      await t.throwsAsync(tenant.call(command[0]!, ...command.slice(1)), {
        message: /NOPERM|unknown command/,
      });
    }
  },
);

test.serial('provisioning again changes nothing; a lost Secret gives the user a new password', async (t) => {
  const ns = `ec-${run}`;
  const id = tenantIdentity(ns, 'acme');
  const first = await provisioner.ensure(tenantRef(ns, 'acme'), spec, {});
  const existing = { [DATA_SECRET_KEYS.redis]: first.secretData[DATA_SECRET_KEYS.redis]! };
  sent.length = 0;
  const again = await provisioner.ensure(tenantRef(ns, 'acme'), spec, existing);
  t.deepEqual(again.secretData, first.secretData);
  t.deepEqual(
    sent.filter((c) => !c.startsWith('Describe')),
    [],
    'a steady re-assertion only reads',
  );

  // The provisioning above without a Secret was itself a "lost Secret": its password replaced the first one's.
  sent.length = 0;
  const fresh = await provisioner.ensure(tenantRef(ns, 'acme'), spec, {});
  t.true(sent.includes('ModifyUserCommand'));
  const now = await connect(fresh.secretData[DATA_SECRET_KEYS.redis]!);
  t.is(await now.exists(`${id.redisKeyPrefix}k`), 1, 'the data is kept');
  t.regex(await refusal(existing[DATA_SECRET_KEYS.redis]!), /^WRONGPASS/);
});

test.serial('tenants provisioned at once all get in: the group takes one change at a time', async (t) => {
  const names = ['one', 'two', 'three'];
  const ns = `ec-many-${run}`;
  for (const n of names) cleanups.push(() => provisioner.teardown(tenantRef(ns, n), spec.data));
  const results = await Promise.all(names.map((n) => provisioner.ensure(tenantRef(ns, n), spec)));
  const group = await members();
  for (const n of names) t.true(group.includes(tenantIdentity(ns, n).elastiCacheUserId), n);
  for (const r of results) t.is(await (await connect(r.secretData[DATA_SECRET_KEYS.redis]!)).ping(), 'PONG');
});

test.serial('teardown: out of the group, deleted, its keys gone; other tenants untouched', async (t) => {
  const ns = `ec-drop-${run}`;
  const id = tenantIdentity(ns, 'gone');
  const kept = await provisioner.ensure(tenantRef(ns, 'kept'), spec);
  cleanups.push(() => provisioner.teardown(tenantRef(ns, 'kept'), spec.data));
  const result = await provisioner.ensure(tenantRef(ns, 'gone'), spec);
  const url = result.secretData[DATA_SECRET_KEYS.redis]!;
  const tenant = await connect(url);
  await tenant.set(`${id.redisKeyPrefix}a`, '1');
  const other = await connect(kept.secretData[DATA_SECRET_KEYS.redis]!);
  await other.set(`${tenantIdentity(ns, 'kept').redisKeyPrefix}a`, '1');

  await provisioner.teardown(tenantRef(ns, 'gone'), spec.data);
  t.false((await members()).includes(id.elastiCacheUserId));
  // Deletion is asynchronous on ElastiCache: the user is `deleting`, then gone.
  const status = await client.send(new DescribeUsersCommand({ UserId: id.elastiCacheUserId })).then(
    (out) => out.Users?.[0]?.Status,
    (err: unknown) => (err instanceof UserNotFoundFault ? 'gone' : Promise.reject(err)),
  );
  t.true(status === 'deleting' || status === 'gone', status);
  t.regex(await refusal(url), /^WRONGPASS/);
  const admin = await connect(env.ELASTICACHE_REDIS_URL);
  t.is(await admin.exists(`${id.redisKeyPrefix}a`), 0);
  t.is(await other.get(`${tenantIdentity(ns, 'kept').redisKeyPrefix}a`), '1');
  await t.notThrowsAsync(
    provisioner.teardown(tenantRef(ns, 'gone'), spec.data),
    'a second teardown is a no-op',
  );
});

test.serial('a full user group: a clear error naming the group and ElastiCache’s reason', async (t) => {
  // A group of its own, filled to ElastiCache's 100 users (not bound to the Redis: membership is the point).
  const groupId = `quota-${run}`;
  const defaultId = `${groupId}-default`;
  const password = 'a-password-of-at-least-16';
  const create = (UserId: string, UserName: string) =>
    client.send(
      new CreateUserCommand({
        UserId,
        UserName,
        Engine: 'redis',
        AccessString: 'off -@all',
        AuthenticationMode: { Type: 'password', Passwords: [password] },
      }),
    );
  await create(defaultId, 'default');
  const fillers = Array.from({ length: 99 }, (_, i) => `${groupId}-u${i}`);
  for (const u of fillers) await create(u, u);
  await client.send(
    new CreateUserGroupCommand({ UserGroupId: groupId, Engine: 'redis', UserIds: [defaultId, ...fillers] }),
  );
  const full = new TenancyProvisioner({
    admin: staticAdminCredentials({ redis: env.ELASTICACHE_REDIS_URL }),
    elastiCache: { ...elastiCache, userGroupId: groupId },
  });
  const ns = `ec-full-${run}`;
  cleanups.push(() => full.teardown(tenantRef(ns, 'acme'), spec.data));
  const err = await t.throwsAsync(full.ensure(tenantRef(ns, 'acme'), spec));
  t.regex(
    err!.message,
    new RegExp(
      `^ElastiCache refused to add the tenant user to user group ${groupId}: InvalidParameterValueException: .*at most 100 users`,
    ),
  );
  t.is((await members(groupId)).length, 100);
});
