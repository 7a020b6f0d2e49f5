// Deleting a platform whose data cannot be cleaned up: the finalizer stays and status says why, instead of
// waiting in silence or skipping a service and leaving a login with a valid password behind; an annotation
// releases it deliberately and leaves the data as it is.
import test from 'ava';
import { EventsV1Api } from '@kubernetes/client-node';
import { SKIP_DATA_CLEANUP_ANNOTATION, resolveSpec, tenantIdentity } from '@sentiment/crds';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Manager } from '../../src/manager.js';
import { postgresTenantExists } from '../../src/tenancy/postgres.js';
import { TenancyProvisioner } from '../../src/tenancy/provisioner.js';
import { redisTenantExists } from '../../src/tenancy/redis.js';
import { tenantRef } from '../tenant-ref.js';
import {
  adminKc,
  condition,
  createPlatform,
  dataServices,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const events = adminKc.makeApiClient(EventsV1Api);
const spec = { profile: 'demo' as const, ingress: { enabled: false } };
let ns: string;
let operator: Manager | undefined;

test.before(async () => {
  await installCrd();
  ns = await tempNamespace('op-final');
});

test.after.always(async () => {
  await operator?.stop();
  await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

/** A platform provisioned by an operator with every service, which then stops. */
async function provisioned(name: string): Promise<string> {
  await operator?.stop();
  operator = startOperator([ns]);
  await operator.start();
  const created = await createPlatform(ns, name, spec);
  await waitFor(
    `${name} provisioned`,
    async () => condition(await getPlatform(ns, name), 'DataServicesReady')?.status === 'True',
  );
  await operator.stop();
  operator = undefined;
  return created.metadata.uid!;
}

async function cleanupFailed(name: string) {
  return waitFor(`${name} CleanupFailed`, async () => {
    const p = await getPlatform(ns, name);
    return condition(p, 'Degraded')?.reason === 'CleanupFailed' && p;
  });
}

test.serial(
  'Postgres unreachable at delete: the platform stays, Degraded says why; the annotation releases it and leaves the data',
  async (t) => {
    const uid = await provisioned('down');
    const id = tenantIdentity(ns, 'down');
    t.teardown(() =>
      new TenancyProvisioner(dataServices).teardown(tenantRef(ns, 'down', uid), resolveSpec(spec).data),
    );
    // The operator that handles the delete reaches Postgres at a port where nothing listens.
    const unreachable = new URL(env.DATABASE_URL);
    unreachable.port = '1';
    operator = startOperator([ns], {
      dataServices: { ...dataServices, postgresAdminUrl: unreachable.toString() },
    });
    await operator.start();
    await deletePlatform(ns, 'down');

    const p = await cleanupFailed('down');
    t.is(p.status?.phase, 'Deleting');
    t.regex(
      condition(p, 'Degraded')!.message,
      new RegExp(
        `^could not remove the tenant's data: .*ECONNREFUSED.*annotate it ${SKIP_DATA_CLEANUP_ANNOTATION.replace('.', '\\.')}=true`,
      ),
    );
    // The service's own text (here its address) stays in the operator's log, under the id the status names.
    t.false(condition(p, 'Degraded')!.message.includes(unreachable.host), 'no address in status');
    t.regex(condition(p, 'Degraded')!.message, /\(error [0-9a-f]{12}; the operator's log has the details\)/);
    await sleep(2_000);
    t.truthy(await getPlatform(ns, 'down'), 'the finalizer holds while cleanup fails');

    await kubectl([
      'annotate',
      'sentimentplatform',
      'down',
      '-n',
      ns,
      `${SKIP_DATA_CLEANUP_ANNOTATION}=true`,
    ]);
    await waitFor('platform released', async () => (await getPlatform(ns, 'down')) === undefined);
    const reasons = (
      await events.listNamespacedEvent({ namespace: ns, fieldSelector: 'regarding.name=down,type=Warning' })
    ).items.map((e) => e.reason);
    t.true(reasons.includes('CleanupFailed'), reasons.join());
    t.true(reasons.includes('DataCleanupSkipped'), reasons.join());
    t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: true, database: true });
    t.true(await redisTenantExists(env.REDIS_URL, id.id), 'nothing was dropped: the data is left as it is');
  },
);

test.serial(
  'no admin access to a service at delete: no silent skip that leaves a login behind; with access back, it is cleaned up',
  async (t) => {
    await provisioned('noaccess');
    const id = tenantIdentity(ns, 'noaccess');
    operator = startOperator([ns], { dataServices: { ...dataServices, redisAdminUrl: undefined } });
    await operator.start();
    await deletePlatform(ns, 'noaccess');

    const p = await cleanupFailed('noaccess');
    t.regex(condition(p, 'Degraded')!.message, /no admin access to the shared redis/);
    t.true(await redisTenantExists(env.REDIS_URL, id.id));

    // The operator configured again (a restart with the chart fixed): the delete completes and drops it all.
    await operator.stop();
    operator = startOperator([ns]);
    await operator.start();
    await waitFor('platform deleted', async () => (await getPlatform(ns, 'noaccess')) === undefined, 60_000);
    t.false(await redisTenantExists(env.REDIS_URL, id.id));
    t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: false, database: false });
  },
);
