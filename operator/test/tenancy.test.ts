import { randomUUID } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import { loadTestEnv, sql as query } from '@sentiment/testenv';
import { TenancyProvisioner, servicesToProvision } from '../src/tenancy/provisioner.js';
import {
  POSTGRES_BUDGET,
  TENANT_NAMINGS,
  connectionLimit,
  resolveSpec,
  tenantIdentity,
} from '@sentiment/crds';
import { postgresTenantExists } from '../src/tenancy/postgres.js';
import { redisTenantExists } from '../src/tenancy/redis.js';
import { TenantConflictError } from '../src/tenancy/ownership.js';
import { DataServiceError, failureLogFields } from '../src/tenancy/failure.js';
import { openSearchTenantExists, openSearchTenantIndices } from '../src/tenancy/opensearch.js';
import { tenantRef } from './tenant-ref.js';

const env = loadTestEnv();
const provisioner = new TenancyProvisioner({
  postgresAdminUrl: env.DATABASE_URL,
  redisAdminUrl: env.REDIS_URL,
  opensearchUrl: env.OPENSEARCH_URL,
});
const spec = resolveSpec({ profile: 'demo' });
const data = spec.data;
const run = Date.now().toString(36);
const nsA = `tenancy-a-${run}`;
const nsB = `tenancy-b-${run}`;

test.after.always(async () => {
  await provisioner.teardown(tenantRef(nsA, 'acme'), data).catch(() => undefined);
  await provisioner.teardown(tenantRef(nsB, 'acme'), data).catch(() => undefined);
});

test('identities are valid, unique and stable, under both namings', (t) => {
  for (const naming of TENANT_NAMINGS) {
    const a = tenantIdentity('tenant-a', 'x', naming);
    t.deepEqual(a, tenantIdentity('tenant-a', 'x', naming));
    t.not(a.id, tenantIdentity('tenant_a', 'x', naming).id, 'slug collisions are told apart by the hash');
    const long = tenantIdentity('n'.repeat(63), 'p'.repeat(40), naming);
    t.true(Buffer.byteLength(long.id) <= 63);
    t.regex(long.id, /^t_[a-z0-9_]+$/);
    t.regex(a.opensearchIndexPrefix, /^[a-z0-9-]+-$/);
    // ElastiCache: letters, digits and single hyphens, at most 40 characters for a UserId.
    t.regex(a.elastiCacheUserId, /^[a-z](-?[a-z0-9])*$/);
  }
  const opaque = tenantIdentity('tenant-a', 'x');
  t.regex(opaque.id, /^t_[0-9a-f]{32}$/, 'the default names nothing of namespace or name');
  t.true(opaque.elastiCacheUserId.length <= 40);
  t.regex(tenantIdentity('tenant-a', 'x', 'named').id, /^t_tenant_a_x_[0-9a-f]{16}$/);
});

test('each tenant gets its own database, Redis user and index prefix, and cannot reach the other', async (t) => {
  t.deepEqual(servicesToProvision(data), ['postgres', 'redis', 'opensearch']);
  const a = await provisioner.ensure(tenantRef(nsA, 'acme'), spec);
  const b = await provisioner.ensure(tenantRef(nsB, 'acme'), spec);
  t.not(a.secretData.DATABASE_URL, b.secretData.DATABASE_URL);
  t.false(
    JSON.stringify(a).includes(new URL(env.DATABASE_URL).password),
    'the admin password never reaches a tenant',
  );
  t.false(JSON.stringify(a).includes(new URL(env.REDIS_URL).password));

  // Postgres: a tenant works in its own database and cannot even connect to the other's.
  await query(a.secretData.DATABASE_URL!, 'create table tickets (id text primary key)');
  await query(a.secretData.DATABASE_URL!, "insert into tickets values ('A-1')");
  t.deepEqual(await query(a.secretData.DATABASE_URL!, 'select id from tickets'), [{ id: 'A-1' }]);
  const aToB = new URL(a.secretData.DATABASE_URL!);
  aToB.pathname = `/${b.tenancy.database}`;
  await t.throwsAsync(query(aToB.toString(), 'select 1'), { message: /permission denied|CONNECT privilege/ });
  const bCredsOnA = new URL(b.secretData.DATABASE_URL!);
  bCredsOnA.pathname = `/${a.tenancy.database}`;
  await t.throwsAsync(query(bCredsOnA.toString(), 'select 1'), {
    message: /permission denied|CONNECT privilege/,
  });

  // Redis: keys only under the tenant's prefix; no dangerous commands.
  const redisA = new Redis(a.secretData.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redisA.connect();
  try {
    const prefixA = tenantIdentity(nsA, 'acme').redisKeyPrefix;
    const prefixB = tenantIdentity(nsB, 'acme').redisKeyPrefix;
    t.is(await redisA.set(`${prefixA}job:1`, 'x'), 'OK');
    await t.throwsAsync(redisA.get(`${prefixB}job:1`), { message: /NOPERM/ });
    await t.throwsAsync(redisA.set('unprefixed', 'x'), { message: /NOPERM/ });
    await t.throwsAsync(redisA.flushall(), { message: /NOPERM/ });
    t.truthy(await redisA.info('server'), 'INFO stays allowed (BullMQ needs it)');
    // B has a key and a channel; nothing A may run lists, reaches or wipes them.
    const redisB = new Redis(b.secretData.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redisB.connect();
    await redisB.set(`${prefixB}job:1`, 'b');
    const subscriber = redisB.duplicate();
    await subscriber.subscribe(`${prefixB}events`);
    try {
      const probes: [string, ...string[]][] = [
        ['SCAN', '0'],
        ['SCAN', '0', 'MATCH', `${prefixB}*`],
        ['KEYS', '*'],
        ['RANDOMKEY'],
        ['SELECT', '1'],
        ['MOVE', `${prefixA}job:1`, '1'],
        ['SWAPDB', '0', '1'],
        ['FLUSHALL'],
        ['FLUSHDB'],
        ['PUBSUB', 'CHANNELS'],
        ['PUBSUB', 'NUMSUB', `${prefixB}events`],
        ['PUBLISH', `${prefixB}events`, 'x'],
        ['DEL', `${prefixB}job:1`],
        ['CONFIG', 'GET', 'requirepass'],
        ['ACL', 'LIST'],
      ];
      for (const [command, ...args] of probes) {
        await t.throwsAsync(
          redisA.call(command, ...args),
          { message: /NOPERM/ },
          `${command} ${args.join(' ')}`,
        );
      }
      t.is(await redisB.get(`${prefixB}job:1`), 'b', "B's key is untouched");
    } finally {
      subscriber.disconnect();
      redisB.disconnect();
    }
  } finally {
    redisA.disconnect();
  }

  // OpenSearch (fine-grained access control): the tenant's own user works on its own indices, under the
  // template's settings, and sees and touches nothing of the other tenant's.
  const osA = new OpenSearch({ node: a.secretData.OPENSEARCH_URL! });
  const osB = new OpenSearch({ node: b.secretData.OPENSEARCH_URL! });
  try {
    t.is(
      new URL(a.secretData.OPENSEARCH_URL!).username,
      tenantIdentity(nsA, 'acme').id,
      "the tenant's own user",
    );
    t.false(
      a.secretData.OPENSEARCH_URL!.includes(new URL(env.OPENSEARCH_URL).password),
      'never the master password',
    );
    const indexA = `${a.tenancy.opensearchIndexPrefix}tickets`;
    const indexB = `${b.tenancy.opensearchIndexPrefix}tickets`;
    await osA.indices.create({ index: indexA });
    await osB.indices.create({ index: indexB });
    await osA.bulk({ body: [{ index: { _index: indexA, _id: '1' } }, { summary: 'A' }], refresh: true });
    await osB.index({ index: indexB, id: '1', body: { summary: 'B' }, refresh: true });
    const settings = await osA.indices.getSettings({ index: indexA });
    t.is(settings.body[indexA]!.settings!.index!.number_of_replicas, '0', "the prefix's template applied");
    t.is((await osA.count({ index: indexA })).body.count, 1);
    const refused = { message: /security_exception|403|no permissions/ };
    await t.throwsAsync(osA.search({ index: indexB }), refused, "B's index: 403");
    await t.throwsAsync(osA.index({ index: indexB, id: '2', body: { summary: 'from A' } }), refused);
    await t.throwsAsync(osA.indices.delete({ index: indexB }), refused);
    await t.throwsAsync(osA.indices.delete({ index: '*' }), refused, 'no wildcard delete');
    await t.throwsAsync(osA.indices.create({ index: 'unprefixed' }), refused);
    const listed = await osA.cat.indices({ format: 'json' }).then(
      (r) => (r.body as { index: string }[]).map((i) => i.index),
      () => [] as string[],
    );
    t.false(listed.includes(indexB), "_cat/indices does not show B's index to A");
    const bulkIntoB = await osA.bulk({
      body: [{ index: { _index: indexB, _id: '3' } }, { summary: 'from A' }],
    });
    t.true(bulkIntoB.body.errors, 'a bulk item for B is refused item by item');
    t.is((await osB.count({ index: indexB })).body.count, 1, "B's data untouched");
  } finally {
    await osA.close();
    await osB.close();
  }
});

test("a tenant's Postgres role holds at most its share of connections, and its sessions time out long statements and idle transactions", async (t) => {
  // One api and one worker replica, no autoscaling: 2 pods at peak (1 + 1 surge each)… computed, not assumed.
  const small = resolveSpec({
    profile: 'demo',
    api: { autoscaling: { enabled: false }, replicas: 1 },
    worker: { replicas: 1 },
  });
  const limit = connectionLimit(small);
  t.is(limit, POSTGRES_BUDGET.poolSize * 4 + POSTGRES_BUDGET.headroom);
  const ns = `${nsA}-budget`;
  const r = await provisioner.ensure(tenantRef(ns, 'acme'), small);
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < limit; i++) {
      const c = new pg.Client({ connectionString: r.secretData.DATABASE_URL! });
      await c.connect();
      clients.push(c);
    }
    const over = new pg.Client({ connectionString: r.secretData.DATABASE_URL! });
    await t.throwsAsync(
      over.connect(),
      { message: /too many connections for role/ },
      `connection ${limit + 1} refused`,
    );
    // The role's session defaults: Postgres itself cancels what runs past them.
    const settings = await clients[0]!.query(
      "select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle",
    );
    t.deepEqual(settings.rows, [{ statement: '1min', idle: '1min' }]);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
  // A bigger spec raises the limit on the next ensure.
  const bigger = resolveSpec({ profile: 'demo', api: { autoscaling: { max: 8 } } });
  await provisioner.ensure(tenantRef(ns, 'acme'), bigger, r.secretData);
  const [role] = await query(
    env.DATABASE_URL,
    `select rolconnlimit from pg_roles where rolname = '${r.tenancy.database}'`,
  );
  t.deepEqual(role, { rolconnlimit: connectionLimit(bigger) });
  await provisioner.teardown(tenantRef(ns, 'acme'), data);
});

test('ensure is idempotent and keeps the password of the existing Secret', async (t) => {
  const first = await provisioner.ensure(tenantRef(`${nsA}-idem`, 'acme'), spec);
  const second = await provisioner.ensure(tenantRef(`${nsA}-idem`, 'acme'), spec, first.secretData);
  t.is(second.secretData.DATABASE_URL, first.secretData.DATABASE_URL);
  t.is(second.secretData.REDIS_URL, first.secretData.REDIS_URL);
  t.is(second.secretData.OPENSEARCH_URL, first.secretData.OPENSEARCH_URL);
  t.deepEqual(await query(first.secretData.DATABASE_URL!, 'select 1 as ok'), [{ ok: 1 }]);
  t.deepEqual(provisioner.fromExisting(tenantRef(`${nsA}-idem`, 'acme'), data, first.secretData), first);
  t.is(provisioner.fromExisting(tenantRef(`${nsA}-idem`, 'acme'), data, {}), undefined);
  await provisioner.teardown(tenantRef(`${nsA}-idem`, 'acme'), data);
});

test('teardown removes database, role, Redis user and keys, indices, and the OpenSearch user and role', async (t) => {
  const ns = `${nsA}-gone`;
  const r = await provisioner.ensure(tenantRef(ns, 'acme'), spec);
  const id = tenantIdentity(ns, 'acme');
  const redis = new Redis(r.secretData.REDIS_URL!, { lazyConnect: true });
  await redis.connect();
  await redis.set(`${id.redisKeyPrefix}k`, 'v');
  redis.disconnect();
  const os = new OpenSearch({ node: r.secretData.OPENSEARCH_URL! });
  await os.indices.create({ index: `${id.opensearchIndexPrefix}tickets` });
  t.deepEqual(await openSearchTenantExists(env.OPENSEARCH_URL, id.id), {
    user: true,
    role: true,
    mapping: true,
  });

  t.deepEqual(await provisioner.teardown(tenantRef(ns, 'acme'), data), {
    removed: ['postgres', 'redis', 'opensearch'],
    notOwned: [],
  });
  t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: false, database: false });
  t.false(await redisTenantExists(env.REDIS_URL, id.id));
  const admin = new Redis(env.REDIS_URL, { lazyConnect: true });
  await admin.connect();
  t.is(await admin.exists(`${id.redisKeyPrefix}k`), 0);
  admin.disconnect();
  t.deepEqual(await openSearchTenantIndices(env.OPENSEARCH_URL, id.opensearchIndexPrefix), []);
  t.deepEqual(await openSearchTenantExists(env.OPENSEARCH_URL, id.id), {
    user: false,
    role: false,
    mapping: false,
  });
  const gone = await t.throwsAsync(new OpenSearch({ node: r.secretData.OPENSEARCH_URL! }).cluster.health());
  t.is(
    (gone as { meta?: { statusCode?: number } }).meta?.statusCode,
    401,
    "the tenant's user no longer logs in",
  );
});

test('a tenant that brings its own Secret for a service is never provisioned there', async (t) => {
  const byo = resolveSpec({ profile: 'demo', data: { postgres: { secretRef: { name: 'mine' } } } }).data;
  t.deepEqual(servicesToProvision(byo), ['redis', 'opensearch']);
  const none = new TenancyProvisioner({});
  await t.throwsAsync(none.ensure(tenantRef('x', 'y'), { ...spec, data: byo }), {
    message: /no shared redis, opensearch is configured in the operator .*OPERATOR_REDIS_ADMIN_URL/,
  });
});

/** A provisioner that gives every platform `victim`'s tenant identity: a hash collision, made on purpose. */
function collidingWith(victim: { namespace: string; name: string }): TenancyProvisioner {
  return new (class extends TenancyProvisioner {
    override identity() {
      return tenantIdentity(victim.namespace, victim.name);
    }
  })({ postgresAdminUrl: env.DATABASE_URL, redisAdminUrl: env.REDIS_URL, opensearchUrl: env.OPENSEARCH_URL });
}

/** The spec that provisions only `service` (the tenant brings the others), to reach each service's own check. */
function only(service: 'postgres' | 'redis' | 'opensearch') {
  const own = { secretRef: { name: 'own' } };
  return resolveSpec({
    profile: 'demo',
    data: { postgres: own, redis: own, opensearch: own, [service]: {} },
  });
}

test('two platforms forced onto one tenant id: the second is refused in every service, the first keeps its credentials, and the second cannot drop them', async (t) => {
  const victim = tenantRef(`tenancy-victim-${run}`, 'acme', randomUUID());
  const intruder = tenantRef(`tenancy-intruder-${run}`, 'acme');
  // As a crafted namespace/name whose hash collides would make it: the intruder's identity is the victim's.
  const colliding = collidingWith(victim);
  t.teardown(() => provisioner.teardown(victim, data));
  const v = await provisioner.ensure(victim, spec);
  const works = async () => {
    t.is((await query(v.secretData.DATABASE_URL!, 'select 1 as one'))[0]!.one, 1);
    const redis = new Redis(v.secretData.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    t.is(await redis.ping(), 'PONG');
    redis.disconnect();
    const os = new OpenSearch({ node: v.secretData.OPENSEARCH_URL! });
    const info = await os.transport.request({ method: 'GET', path: '/_plugins/_security/authinfo' });
    t.is((info.body as { user_name: string }).user_name, tenantIdentity(victim.namespace, 'acme').id);
    await os.close();
  };
  for (const service of ['postgres', 'redis', 'opensearch'] as const) {
    const err = await t.throwsAsync(colliding.ensure(intruder, only(service)), {
      instanceOf: TenantConflictError,
    });
    t.regex(err!.message, new RegExp(`belongs to another SentimentPlatform \\(uid ${victim.uid}\\)`));
    t.false(
      err!.message.includes(victim.namespace),
      "the refusal does not tell the intruder the victim's name",
    );
  }
  await works();
  t.deepEqual(await colliding.teardown(intruder, data), {
    removed: [],
    notOwned: ['postgres', 'redis', 'opensearch'],
  });
  await works();
});

test('a slice made by hand (no owner record) is not adopted; a retained one goes only to the same namespace/name', async (t) => {
  const hand = tenantRef(`tenancy-hand-${run}`, 'acme');
  const id = tenantIdentity(hand.namespace, hand.name);
  await query(env.DATABASE_URL, `create role ${id.id} login password 'by-hand-password'`);
  t.teardown(() => query(env.DATABASE_URL, `drop role if exists ${id.id}`));
  const err = await t.throwsAsync(provisioner.ensure(hand, only('postgres')), {
    instanceOf: TenantConflictError,
  });
  t.regex(err!.message, /exists but has no owner record/);

  const kept = tenantRef(`tenancy-kept-${run}`, 'acme');
  t.teardown(() => provisioner.teardown(tenantRef(kept.namespace, kept.name, 'uid-2'), data));
  const first = await provisioner.ensure(kept, spec);
  await provisioner.release(kept, data);
  // Another platform under the same id is still refused; the same namespace/name with a new uid takes it over.
  const same = collidingWith(kept);
  await t.throwsAsync(same.ensure(tenantRef(`${kept.namespace}-x`, 'acme'), spec), {
    instanceOf: TenantConflictError,
  });
  const again = await provisioner.ensure(
    tenantRef(kept.namespace, kept.name, 'uid-2'),
    spec,
    first.secretData,
  );
  t.deepEqual(again.secretData, first.secretData);
  t.deepEqual(
    await provisioner.teardown(kept, data),
    {
      removed: [],
      notOwned: ['postgres', 'redis', 'opensearch'],
    },
    'the old uid no longer owns it',
  );
});

test('the tenant password never reaches Postgres in a statement: a SCRAM verifier is sent instead, and logging in works', async (t) => {
  const tenant = tenantRef(`tenancy-scram-${run}`, 'acme');
  t.teardown(() => provisioner.teardown(tenant, data));
  // Every statement text the operator's Postgres connections send (as a statement log would show it).
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    sent.push(typeof first === 'string' ? first : (first.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  let result;
  try {
    result = await provisioner.ensure(tenant, only('postgres'));
  } finally {
    pg.Client.prototype.query = original;
  }
  const url = result.secretData.DATABASE_URL!;
  const password = decodeURIComponent(new URL(url).password);
  t.true(
    sent.some((q) => /create role .* login password 'SCRAM-SHA-256\$4096:/.test(q)),
    sent.join('\n'),
  );
  t.false(
    sent.some((q) => q.includes(password)),
    'no statement carries the password',
  );
  const [stored] = await query(
    env.DATABASE_URL,
    `select rolpassword from pg_authid where rolname = '${tenantIdentity(tenant.namespace, 'acme').id}'`,
  );
  t.regex(stored!.rolpassword as string, /^SCRAM-SHA-256\$4096:/);
  t.is((await query(url, 'select current_user as u'))[0]!.u, tenantIdentity(tenant.namespace, 'acme').id);
});

test("a data service's failure reaches status as service, kind and error id; its own text stays in the log", async (t) => {
  const withPassword = (u: string, password: string) => {
    const url = new URL(u);
    url.password = password;
    return url.toString();
  };
  const unreachable = new URL(env.DATABASE_URL);
  unreachable.port = '1';
  const cases = [
    {
      service: 'postgres',
      config: { postgresAdminUrl: unreachable.toString() },
      kind: /^postgres: connection refused \(ECONNREFUSED\)/,
    },
    {
      service: 'postgres',
      config: { postgresAdminUrl: withPassword(env.DATABASE_URL, 'not-the-password') },
      kind: /^postgres: refused the operator's admin credentials, also after reading them again: authentication failed \(SQLSTATE 28P01\)/,
    },
    {
      service: 'redis',
      config: { redisAdminUrl: withPassword(env.REDIS_URL, 'not-the-password') },
      kind: /^redis: refused the operator's admin credentials, also after reading them again: authentication failed \((WRONGPASS|NOAUTH)\)/,
    },
    {
      service: 'opensearch',
      config: { opensearchUrl: withPassword(env.OPENSEARCH_URL, 'not-the-password') },
      kind: /^opensearch: refused the operator's admin credentials, also after reading them again: authentication failed \(HTTP 401\)/,
    },
  ] as const;
  for (const c of cases) {
    const only = { ...data };
    for (const s of ['postgres', 'redis', 'opensearch'] as const)
      if (s !== c.service) only[s] = { ...data[s], secretRef: { name: 'byo', key: 'url' } } as never;
    const failing = new TenancyProvisioner(c.config);
    const tries = [];
    for (let i = 0; i < 2; i++)
      tries.push(
        await t.throwsAsync(failing.ensure(tenantRef(nsA, 'failing'), { ...spec, data: only }), {
          instanceOf: DataServiceError,
        }),
      );
    const [err, again] = tries as [DataServiceError, DataServiceError];
    t.regex(err.message, c.kind, c.service);
    t.regex(err.message, /\(error [0-9a-f]{12}; the operator's log has the details\)$/);
    // Nothing of the service's own: no host, port or user (the user name alone may be the service's).
    const url = new URL(Object.values(c.config)[0]!);
    for (const secret of [url.hostname, `:${url.port}`, `${decodeURIComponent(url.username)}@`])
      t.false(err.message.includes(secret), `${c.service}: ${err.message} names ${secret}`);
    t.is(again.message, err.message, 'the same failure keeps its message (and id) across retries');
    t.true(failureLogFields(err).detail!.length > 0, 'the log gets the driver text');
  }
});

test("a tenant finds no other tenant's namespace or name in the server's catalogs, and cannot connect to the admin's database", async (t) => {
  // Postgres shows every role's and database's name, and every role's comment, to every role: the names
  // and owner records must say nothing of who the tenants are.
  const globex = tenantRef(`catalog-globex-${run}`, 'globex-analytics', randomUUID());
  const initech = tenantRef(`catalog-initech-${run}`, 'initech-analytics', randomUUID());
  t.teardown(() => provisioner.teardown(globex, data));
  t.teardown(() => provisioner.teardown(initech, data));
  const g = await provisioner.ensure(globex, only('postgres'));
  await provisioner.ensure(initech, only('postgres'));
  const url = g.secretData.DATABASE_URL!;
  const [seen] = await query(
    url,
    `select (select string_agg(datname, ' ') from pg_database) as databases,
            (select string_agg(rolname || ' ' || coalesce(shobj_description(oid, 'pg_authid'), ''), ' ') from pg_roles) as roles,
            (select string_agg(description, ' ') from pg_shdescription) as comments`,
  );
  const catalogs = Object.values(seen!).join('\n');
  t.true(catalogs.includes(tenantIdentity(initech.namespace, initech.name).id), 'the other role is listed…');
  for (const word of ['initech', 'globex'])
    t.false(catalogs.includes(word), `…but nothing in the catalogs says "${word}"`);
  const admins = new URL(url);
  admins.pathname = new URL(env.DATABASE_URL).pathname;
  await t.throwsAsync(query(admins.toString(), 'select 1'), {
    message: /permission denied|CONNECT privilege/,
  });
});

test('a platform provisioned under the named scheme by an earlier operator keeps its slices, and its owner record is rewritten without its name', async (t) => {
  const tenant = { ...tenantRef(`tenancy-named-${run}`, 'acme', randomUUID()), naming: 'named' as const };
  const id = tenantIdentity(tenant.namespace, tenant.name, 'named');
  t.teardown(() => provisioner.teardown(tenant, data));
  // As an earlier operator left it: the named role, its record readable.
  await query(env.DATABASE_URL, `create role ${id.id} login password 'earlier-password'`);
  await query(
    env.DATABASE_URL,
    `comment on role ${id.id} is '${JSON.stringify({ 'sentiment.analytics.dev/platform': `${tenant.namespace}/acme`, uid: tenant.uid })}'`,
  );
  const r = await provisioner.ensure(tenant, only('postgres'));
  t.is(r.tenancy.database, id.id);
  t.is((await query(r.secretData.DATABASE_URL!, 'select current_user as u'))[0]!.u, id.id);
  const [record] = await query(
    env.DATABASE_URL,
    `select shobj_description(oid, 'pg_authid') as c from pg_roles where rolname = '${id.id}'`,
  );
  t.false((record!.c as string).includes(tenant.namespace), record!.c as string);
  t.deepEqual(await provisioner.teardown(tenant, only('postgres').data), {
    removed: ['postgres'],
    notOwned: [],
  });
});
