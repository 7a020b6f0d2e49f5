import test from 'ava';
import { CoordinationV1Api, CoreV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadTestEnv } from '@sentiment/testenv';
import { KubeClient } from '../src/kube/client.js';
import { LeaderElector } from '../src/kube/leader.js';
import { OperatorMetrics } from '../src/kube/metrics.js';

const env = loadTestEnv();
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
const namespace = `leader-${Date.now().toString(36)}`;
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});
test.after.always(async () => {
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

function candidate(name: string, identity: string) {
  const state = { leading: false, started: 0, stopped: 0 };
  const elector = new LeaderElector(
    new KubeClient(kc, new OperatorMetrics()),
    {
      namespace,
      name,
      identity,
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 200,
      onStartedLeading: () => {
        state.leading = true;
        state.started++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
    },
    log,
  );
  return { elector, state };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

test('of two candidates exactly one leads; on graceful stop the other takes over at once', async (t) => {
  const a = candidate('pair', 'a');
  const b = candidate('pair', 'b');
  a.elector.start();
  b.elector.start();
  t.true(await until(() => a.state.leading || b.state.leading, 5000));
  await sleep(1000);
  t.true(a.state.leading !== b.state.leading, 'never two leaders');
  const [leader, standby] = a.state.leading ? [a, b] : [b, a];
  const stoppedAt = Date.now();
  await leader.elector.stop();
  t.true(await until(() => standby.state.leading, 5000));
  t.true(Date.now() - stoppedAt < 1500, 'released lease is taken without waiting for expiry');
  const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: 'pair' });
  t.is(lease.spec?.holderIdentity, standby === a ? 'a' : 'b');
  t.true((lease.spec?.leaseTransitions ?? 0) >= 1);
  await standby.elector.stop();
});

test('a lease held by a dead candidate is taken only after it stays unrenewed for the lease duration', async (t) => {
  const coordination = kc.makeApiClient(CoordinationV1Api);
  await coordination.createNamespacedLease({
    namespace,
    body: {
      metadata: { name: 'ghost', namespace },
      spec: {
        holderIdentity: 'dead-pod',
        leaseDurationSeconds: 2,
        renewTime: new V1MicroTime(),
        acquireTime: new V1MicroTime(),
      },
    },
  });
  const c = candidate('ghost', 'alive');
  const startedAt = Date.now();
  c.elector.start();
  await sleep(1200);
  t.false(c.state.leading, 'the lease is still within its duration');
  t.true(await until(() => c.state.leading, 6000));
  t.true(Date.now() - startedAt >= 2000);
  await c.elector.stop();
});
