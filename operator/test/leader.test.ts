import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CoordinationV1Api, CoreV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { PLURAL } from '@sentiment/crds';
import { pino } from 'pino';
import { loadTestEnv, waitFor } from '@sentiment/testenv';
import { KubeClient, WritesFencedError } from '../src/kube/client.js';
import { LeaderElector } from '../src/kube/leader.js';
import { OperatorMetrics } from '../src/kube/metrics.js';
import {
  createPlatform,
  installCrd,
  kubectl,
  spawnOperator,
  startOperator,
  tempNamespace,
} from './operator/harness.js';

const env = loadTestEnv();
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
const operatorKc = new KubeConfig();
operatorKc.loadFromFile(env.OPERATOR_KUBECONFIG);
const coordination = kc.makeApiClient(CoordinationV1Api);
const namespace = `leader-${Date.now().toString(36)}`;
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => unknown)[] = [];
// Timers may fire this much late on a busy machine.
const SLACK_MS = 250;

test.before(async () => {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  await installCrd();
});
test.after.always(async () => {
  for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

const times = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };

function candidate(name: string, identity: string, via: KubeConfig = kc, ns = namespace, lease = times) {
  const state = {
    leading: false,
    started: 0,
    stopped: 0,
    startedAt: undefined as number | undefined,
    stoppedAt: undefined as number | undefined,
  };
  const elector = new LeaderElector(
    new KubeClient(via, new OperatorMetrics()),
    {
      namespace: ns,
      name,
      identity,
      ...lease,
      onStartedLeading: () => {
        state.leading = true;
        state.started++;
        state.startedAt = Date.now();
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
        state.stoppedAt = Date.now();
      },
    },
    log,
  );
  return { elector, state };
}

interface Seen {
  method: string;
  path: string;
  at: number;
  held: boolean;
  /** When the client gave up a held request (closed its connection). */
  abandonedAt?: number;
}

/**
 * A plain-HTTP proxy in front of the real API server, as the operator's identity. Requests matching
 * `hold` are neither forwarded nor answered, as when the network or the API server hangs; every request
 * is recorded with the time it arrived.
 */
async function holdingProxy() {
  const seen: Seen[] = [];
  let hold: (r: Seen) => boolean = () => false;
  const server = createServer((req: IncomingMessage, res) => {
    const entry: Seen = { method: req.method!, path: req.url!, at: Date.now(), held: false };
    entry.held = hold(entry);
    seen.push(entry);
    if (entry.held) {
      res.on('close', () => (entry.abandonedAt = Date.now()));
      return;
    }
    const url = new URL(req.url!, operatorKc.getCurrentCluster()!.server);
    const options: RequestOptions = { method: req.method, headers: { ...req.headers, host: url.host } };
    void operatorKc.applyToHTTPSOptions(options).then(() => {
      const upstream = httpsRequest(url, options, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        // A watch's headers come before any event: pass them on at once, or the watch never opens.
        res.flushHeaders();
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeConfig = new KubeConfig();
  // client-node takes a plain-HTTP server only with TLS verification off (there is no TLS to verify).
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'proxy', server: url, skipTLSVerify: true }],
    users: [{ name: 'proxied' }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxied' }],
    currentContext: 'proxy',
  });
  const proxy = {
    seen,
    kubeConfig,
    hold: (fn: (r: Seen) => boolean) => (hold = fn),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
    /** When the last request matching `fn` that was let through arrived. */
    lastPassed: (fn: (r: Seen) => boolean) =>
      Math.max(...seen.filter((r) => !r.held && fn(r)).map((r) => r.at)),
  };
  cleanup.push(proxy.close);
  return proxy;
}

/** A create (the first acquire) or update (acquire, renew) of the Lease. */
const isLeaseWrite = (lease: string) => (r: Seen) =>
  (r.method === 'PUT' && r.path.endsWith(`/leases/${lease}`)) ||
  (r.method === 'POST' && r.path.endsWith('/leases'));
const isPlatformPatch = (name: string) => (r: Seen) =>
  r.method === 'PATCH' && r.path.split('?')[0]!.endsWith(`/${PLURAL}/${name}`);

async function holderOf(ns: string, name: string): Promise<string | undefined> {
  try {
    return (await coordination.readNamespacedLease({ namespace: ns, name })).spec?.holderIdentity;
  } catch {
    return undefined;
  }
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

test.serial(
  'a leader whose renew hangs steps down at its renew deadline, before the standby takes over',
  async (t) => {
    const proxy = await holdingProxy();
    const a = candidate('hung', 'a', proxy.kubeConfig);
    const b = candidate('hung', 'b');
    cleanup.push(
      () => a.elector.stop(),
      () => b.elector.stop(),
    );
    let bothLed = false;
    const check = setInterval(() => (bothLed ||= a.state.leading && b.state.leading), 10);
    cleanup.push(() => clearInterval(check));
    a.elector.start();
    t.true(await until(() => a.state.leading, 5000), 'a leads');
    b.elector.start();
    await sleep(500);
    t.false(b.state.leading, 'b is a standby');

    proxy.hold(isLeaseWrite('hung'));
    t.true(await until(() => b.state.leading, 10_000), 'b takes over once the lease expires');
    clearInterval(check);
    t.false(bothLed, 'never two leaders');
    t.truthy(a.state.stoppedAt, 'a stepped down');
    t.true(a.state.stoppedAt! < b.state.startedAt!, 'a stepped down before b led');
    const lastRenew = proxy.lastPassed(isLeaseWrite('hung'));
    t.true(
      a.state.stoppedAt! - lastRenew <= times.renewDeadlineMs + SLACK_MS,
      `a stepped down ${a.state.stoppedAt! - lastRenew} ms after its last renew was sent`,
    );
    const held = proxy.seen.filter((r) => r.held);
    t.true(held.length > 0, 'a renew was held');
    for (const r of held) {
      t.true(
        r.abandonedAt !== undefined && r.abandonedAt <= a.state.stoppedAt! + 100,
        'the hung renew is aborted',
      );
    }
    t.false(a.elector.isLeader);
    t.is(await holderOf(namespace, 'hung'), 'b');
  },
);

test.serial(
  'a write attempted past the renew deadline is refused, even before the step-down timer has run',
  async (t) => {
    const proxy = await holdingProxy();
    const client = new KubeClient(proxy.kubeConfig, new OperatorMetrics());
    const elector = new LeaderElector(
      client,
      {
        namespace,
        name: 'stall',
        identity: 'a',
        ...times,
        onStartedLeading: () => undefined,
        // As the manager does.
        onStoppedLeading: () => client.fence('lost the leader lease'),
      },
      log,
    );
    cleanup.push(() => elector.stop());
    elector.start();
    t.true(await until(() => elector.isLeader, 5000), 'a leads');
    const leaseWrite = isLeaseWrite('stall');
    // Right after a renew, so the stall below starts with a fresh deadline.
    const renews = proxy.seen.filter(leaseWrite).length;
    t.true(await until(() => proxy.seen.filter(leaseWrite).length > renews, 2000));
    await sleep(50);
    // The event loop stalls (a long synth, a GC pause) past the deadline: no timer runs meanwhile, and
    // the first thing to run after it is a write, as when a reconcile's request has just been answered.
    const stallUntil = Date.now() + times.renewDeadlineMs + 100;
    while (Date.now() < stallUntil);
    t.true(elector.isLeader, 'the step-down timer has not run yet');
    const write = client.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'after-the-deadline', namespace },
      data: {},
    });
    await t.throwsAsync(write, { instanceOf: WritesFencedError, message: /not renewed in time/ });
    await sleep(200);
    t.false(elector.isLeader, 'stepped down');
    t.deepEqual(
      proxy.seen.filter((r) => r.method === 'PATCH').map((r) => r.path),
      [],
      'the write never reached the API server',
    );
  },
);

test.serial(
  'lost leadership fences the operator: the write in flight is aborted and no other follows',
  async (t) => {
    const ns = await tempNamespace('leader-fence');
    cleanup.push(() => kubectl(['delete', 'namespace', ns, '--wait=false']));
    const proxy = await holdingProxy();
    // The reconcile's first write (the finalizer) hangs: a reconcile is in flight when leadership is lost.
    proxy.hold(isPlatformPatch('acme'));
    let lostAt: number | undefined;
    const manager = startOperator([ns], {
      kubeConfig: proxy.kubeConfig,
      identity: 'manager-a',
      leaderElection: { namespace: ns, name: 'operator', ...times },
      onLostLeadership: () => (lostAt = Date.now()),
    });
    cleanup.push(() => manager.stop());
    await manager.start();
    await waitFor('manager-a leads', async () => manager.isLeader, 10_000);
    await createPlatform(ns, 'acme', { profile: 'demo' });
    await waitFor('the finalizer write held', async () => proxy.seen.some((r) => r.held), 30_000);
    const b = candidate('operator', 'manager-b', kc, ns);
    cleanup.push(() => b.elector.stop());
    b.elector.start();

    proxy.hold((r) => isPlatformPatch('acme')(r) || isLeaseWrite('operator')(r));
    t.true(await until(() => b.state.leading, 10_000), 'the standby takes over');
    t.truthy(lostAt, 'manager-a reported lost leadership');
    t.true(lostAt! < b.state.startedAt!, 'before the standby led');
    t.true(lostAt! - proxy.lastPassed(isLeaseWrite('operator')) <= times.renewDeadlineMs + SLACK_MS);
    t.false(manager.isLeader);
    const finalizer = proxy.seen.find((r) => r.held && isPlatformPatch('acme')(r))!;
    t.true(
      finalizer.abandonedAt !== undefined && finalizer.abandonedAt <= lostAt! + 100,
      'the write in flight was aborted at once',
    );
    const after = proxy.seen.filter((r) => r.at >= lostAt! && r.method !== 'GET');
    t.deepEqual(
      after.map((r) => `${r.method} ${r.path}`),
      [],
      'no write after lost leadership',
    );
    const stopping = Date.now();
    await manager.stop();
    t.true(Date.now() - stopping < 2000, 'stopping after lost leadership waits for nothing');
  },
);

test.serial(
  'shutdown waits for a hung write only for its grace period, then aborts it and lets the lease expire',
  async (t) => {
    const ns = await tempNamespace('leader-grace');
    cleanup.push(() => kubectl(['delete', 'namespace', ns, '--wait=false']));
    const proxy = await holdingProxy();
    proxy.hold(isPlatformPatch('acme'));
    const graceMs = 1000;
    const manager = startOperator([ns], {
      kubeConfig: proxy.kubeConfig,
      identity: 'manager-c',
      // A lease a loaded machine cannot lose by a slow renew: losing it would fence the held write and
      // end the reconcile before stop() is even called (CI saw stop() take 189 ms that way).
      leaderElection: {
        namespace: ns,
        name: 'operator',
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 2000,
      },
      shutdownGraceMs: graceMs,
    });
    cleanup.push(() => manager.stop());
    await manager.start();
    await waitFor('manager-c leads', async () => manager.isLeader, 10_000);
    await createPlatform(ns, 'acme', { profile: 'demo' });
    await waitFor('the finalizer write held', async () => proxy.seen.some((r) => r.held), 30_000);

    t.true(manager.isLeader, 'still leading, with the held write in flight, when stop() begins');
    const stopping = Date.now();
    const stopped = await Promise.race([manager.stop().then(() => true), sleep(10_000).then(() => false)]);
    t.true(stopped, 'stop() returned');
    const took = Date.now() - stopping;
    t.true(took >= graceMs - 50 && took <= graceMs + 1000, `stop() took ${took} ms`);
    const finalizer = proxy.seen.find((r) => r.held)!;
    // The proxy sees the connection close a moment after the client aborts.
    t.true(await until(() => finalizer.abandonedAt !== undefined, 1000), 'the hung write was aborted');
    // The aborted write may yet reach the API server: the lease is not handed over early.
    t.is(await holderOf(ns, 'operator'), 'manager-c');
  },
);

test.serial(
  'the CLI exits at its renew deadline, before the standby takes over, with a reconcile in flight',
  async (t) => {
    const ns = await tempNamespace('leader-cli');
    cleanup.push(() => kubectl(['delete', 'namespace', ns, '--wait=false']));
    const proxy = await holdingProxy();
    proxy.hold(isPlatformPatch('acme'));
    const dir = mkdtempSync(join(tmpdir(), 'leader-cli-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'kubeconfig'), proxy.kubeConfig.exportConfig());
    // --kubeconfig again: parseArgs keeps the last one, so this wins over spawnOperator's.
    // run derives the deadline as 2/3. Not shorter: a child process starved of CPU by the full run lost a 3 s
    // lease before its first reconcile reached the held write (CI, once).
    const lease = { leaseDurationMs: 6000, renewDeadlineMs: 4000 };
    const child = spawnOperator([
      ...['--kubeconfig', join(dir, 'kubeconfig'), '--namespaces', ns, '--lease-namespace', ns],
      ...['--lease-name', 'operator', '--lease-duration-ms', String(lease.leaseDurationMs)],
      ...['--identity', 'cli-a', '--http-port', '0', '--log-level', 'info'],
    ]);
    cleanup.push(() => child.kill('SIGKILL'));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    await waitFor('cli-a leads', async () => (await holderOf(ns, 'operator')) === 'cli-a', 60_000);
    await createPlatform(ns, 'acme', { profile: 'demo' });
    await waitFor('the finalizer write held', async () => proxy.seen.some((r) => r.held), 30_000);
    const b = candidate('operator', 'cli-b', kc, ns, { ...lease, retryPeriodMs: 200 });
    cleanup.push(() => b.elector.stop());
    b.elector.start();

    proxy.hold((r) => isPlatformPatch('acme')(r) || isLeaseWrite('operator')(r));
    const exit = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
    t.truthy(exit, `the CLI exited; its output:\n${child.output()}`);
    t.is(exit!.code, 1);
    // At its renew deadline, give or take a process on a loaded machine (a full CI run once took 790 ms
    // past it to exit), and well inside the lease, which is what keeps two leaders apart.
    const afterRenew = exit!.at - proxy.lastPassed(isLeaseWrite('operator'));
    t.true(
      afterRenew <= (lease.renewDeadlineMs + lease.leaseDurationMs) / 2,
      `at its renew deadline: exited ${afterRenew} ms after its last renew was sent`,
    );
    t.regex(child.output(), /lost the leader lease/);
    t.true(await until(() => b.state.leading, 10_000), 'the standby takes over');
    t.true(exit!.at < b.state.startedAt!, 'after the CLI exited');
  },
);
