// The operator's /metrics under controller-runtime's and client-go's standard names, which dashboards and
// alerts made for kubebuilder operators query; and a spec no retry can heal counted as a terminal error,
// once, instead of a success, and not retried with backoff.
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { OWNED_KINDS } from '../../src/kube/resources.js';
import type { Manager } from '../../src/manager.js';
import {
  condition,
  createPlatform,
  deletePlatform,
  getPlatform,
  installCrd,
  kubectl,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const STANDARD_METRICS = [
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_terminal_reconcile_errors_total',
  'controller_runtime_reconcile_time_seconds',
  'controller_runtime_max_concurrent_reconciles',
  'controller_runtime_active_workers',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'workqueue_retries_total',
  'workqueue_unfinished_work_seconds',
  'workqueue_longest_running_processor_seconds',
  'rest_client_requests_total',
];
const HISTOGRAMS = new Set([
  'controller_runtime_reconcile_time_seconds',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
]);
const controller = { controller: 'sentimentplatform' };
const queue = { name: 'sentimentplatform' };

// Valid: the data services are provisioned, the pods never get Ready (requeue_after). Invalid: the CRD's
// rules admit it, but only the resolved spec shows that the demo profile's ml.autoscaling.max is below 50.
const valid = { profile: 'demo' as const, ingress: { enabled: false } };
const invalid = { profile: 'demo' as const, ml: { autoscaling: { min: 50 } } };

let ns: string;
let operator: Manager | undefined;
const logs: { msg?: string; platform?: string; reason?: string }[] = [];

test.before(async () => {
  await installCrd();
  ns = await tempNamespace('op-metrics');
  operator = startOperator([ns], {
    log: pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
  });
  await operator.start();
});

test.after.always(async () => {
  // Deleted while the operator runs, so that its finalizer removes the tenant data it provisioned.
  for (const name of ['good', 'broken']) await deletePlatform(ns, name).catch(() => undefined);
  await waitFor(
    'platforms gone',
    async () => !(await getPlatform(ns, 'good')) && !(await getPlatform(ns, 'broken')),
    60_000,
  ).catch(() => undefined);
  await operator?.stop();
  await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${operator!.httpAddress}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name, labels = '', value] = /^([\w:]+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      return {
        name: name!,
        labels: Object.fromEntries(
          [...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
        ),
        value: Number(value),
      };
    });
}

/** The samples of `name` whose labels include `labels`. */
const select = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  select(samples, name, labels).reduce((total, s) => total + s.value, 0);

const brokenKey = () => `${ns}/broken`;

test.serial(
  "controller-runtime's and client-go's metrics; an invalid spec is a terminal error, not retried",
  async (t) => {
    await createPlatform(ns, 'good', valid);
    await createPlatform(ns, 'broken', invalid);
    await waitFor(
      'broken is Degraded: InvalidSpec',
      async () => condition(await getPlatform(ns, 'broken'), 'Degraded')?.reason === 'InvalidSpec',
    );
    await waitFor(
      'good reconciled',
      async () => {
        const s = await scrape();
        return (
          sum(s, 'controller_runtime_reconcile_total', { ...controller, result: 'success' }) +
            sum(s, 'controller_runtime_reconcile_total', { ...controller, result: 'requeue_after' }) >
          0
        );
      },
      60_000,
    );

    const samples = await scrape();
    for (const name of STANDARD_METRICS) {
      const series = HISTOGRAMS.has(name) ? `${name}_count` : name;
      t.true(select(samples, series).length > 0, `${series} is exposed`);
    }
    t.deepEqual(
      select(samples, 'controller_runtime_reconcile_total', controller)
        .map((s) => s.labels.result)
        .sort(),
      ['error', 'requeue', 'requeue_after', 'success'],
      'every result is a series from the start',
    );
    const terminal = sum(samples, 'controller_runtime_terminal_reconcile_errors_total', controller);
    t.true(terminal >= 1, 'the invalid spec is a terminal error');
    t.true(sum(samples, 'controller_runtime_reconcile_errors_total', controller) >= terminal);
    t.true(
      sum(samples, 'controller_runtime_reconcile_total', { ...controller, result: 'error' }) >= terminal,
    );
    // The per-tenant phase the tenants' PrometheusRule alerts on, read from the cache at scrape time.
    t.is(
      sum(samples, 'sentiment_operator_platform_phase', {
        platform_namespace: ns,
        platform: 'broken',
        phase: 'Degraded',
      }),
      1,
    );
    t.is(
      select(samples, 'sentiment_operator_platform_phase', { platform_namespace: ns, platform: 'broken' })
        .length,
      1,
    );
    t.is(sum(samples, 'controller_runtime_max_concurrent_reconciles', controller), 4);
    t.true(sum(samples, 'workqueue_adds_total', queue) > 0);
    t.is(select(samples, 'workqueue_depth', queue).length, 1);
    t.true(sum(samples, 'controller_runtime_reconcile_time_seconds_count', controller) > 0);
    t.true(sum(samples, 'workqueue_queue_duration_seconds_count', queue) > 0);
    t.true(sum(samples, 'workqueue_work_duration_seconds_count', queue) > 0);

    const requests = select(samples, 'rest_client_requests_total');
    t.true(
      requests.every((s) => s.labels.method && s.labels.host && s.labels.code),
      'code, method, host on every series',
    );
    t.true(sum(samples, 'rest_client_requests_total', { code: '200', method: 'PATCH' }) > 0, 'writes');
    t.true(
      sum(samples, 'rest_client_requests_total', { code: '201', method: 'POST' }) > 0,
      "creates (the auth Secret, events) under the server's own 201",
    );
    // Every informer lists and then watches at least once; nothing else here reads from the API server.
    const informers = OWNED_KINDS.length + 1;
    t.true(
      sum(samples, 'rest_client_requests_total', { code: '200', method: 'GET' }) >= 2 * informers,
      "the informers' lists and watches",
    );

    // Not retried: nothing changes the broken platform, so however long we wait it is not reconciled again.
    await operator!.whenIdle();
    await sleep(500);
    const before = sum(await scrape(), 'controller_runtime_terminal_reconcile_errors_total', controller);
    const logsBefore = logs.length;
    // The harness's backoff starts at 200 ms: a retried key would come back several times in 3 s.
    await sleep(3000);
    t.is(sum(await scrape(), 'controller_runtime_terminal_reconcile_errors_total', controller), before);
    const brokenLogs = logs.filter((l) => l.platform === brokenKey());
    t.false(
      logs.slice(logsBefore).some((l) => l.platform === brokenKey()),
      'no reconcile of the broken platform',
    );
    t.false(brokenLogs.some((l) => l.msg === 'reconcile failed; retrying with backoff'));
    const terminalLogs = brokenLogs.filter((l) => l.reason === 'InvalidSpec');
    t.is(terminalLogs.length, before, 'one warning per terminal error');
    t.regex(terminalLogs[0]!.msg!, /not retried/);
  },
);
