// Reconcile benchmark (issue: N SentimentPlatforms created at once). For N in BENCH_PLATFORMS
// (default 100,1000), against the real test API server:
//   operator: the CLI as its own process creates nothing itself; N platforms are created at once and
//             we time until every one is converged (all children applied, status written); RSS of the
//             process; API requests per platform (audit log); writes during a steady-state resync (goal 0).
// The cluster's controllers run as they do everywhere (ReplicaSets create the pods), but one node cannot
// run thousands of tenants: the platforms ask for on-demand capacity, which the test node (a spot node)
// does not offer, so their pods stay Pending and readiness is not part of this benchmark.
//   lower bound: `kubectl apply --server-side` of the very objects the synth renders for the same N
//             platforms, into fresh namespaces: the API work alone, with no controller around it.
// Tenancy is left out of both (data secretRefs given): it is per-tenant database work the lower bound
// does not have; it is exercised by the integration tests.
// Run: npm run bench -w operator   (needs `npm run env:up`; builds dist/ first, which the operator process runs)
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSpec, type SentimentPlatform, type SentimentPlatformSpec } from '@sentiment/crds';
import { synthesizeResolved, toYaml } from '../src/synth/index.js';
import { BYO_DATA, namespacesFor, placements, platforms, sleep } from './support.js';
import {
  createPlatform,
  env,
  followOperatorRequests,
  installCrd,
  isWrite,
  kubectl,
  spawnOperator,
} from '../test/operator/harness.js';

const SIZES = (process.env.BENCH_PLATFORMS ?? '100,1000').split(',').map(Number);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const onDemand = { capacity: 'on-demand' as const };
const spec: SentimentPlatformSpec = {
  profile: 'demo',
  api: onDemand,
  worker: onDemand,
  ml: onDemand,
  data: BYO_DATA,
};

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function until(
  what: string,
  n: number,
  namespaces: string[],
  ok: (p: SentimentPlatform) => boolean,
  limitMs: number,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const all = await platforms(namespaces);
    const done = all.filter(ok).length;
    if (done === n && (n > 0 || all.length === 0)) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`${what}: only ${done}/${n} after ${limitMs} ms`);
    await sleep(250);
  }
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function operatorRun(n: number) {
  const namespaces = await namespacesFor(`bench-op-${n}-`, n);
  const audit = followOperatorRequests();
  const resyncMs = 15_000;
  const op = spawnOperator(
    [
      '--namespaces',
      namespaces.join(','),
      '--no-leader-elect',
      '--http-port',
      '0',
      '--concurrency',
      String(CONCURRENCY),
      '--resync-ms',
      String(resyncMs),
      '--log-level',
      'warn',
    ],
    { compiled: true },
  );
  await sleep(3000); // process start (tsx) and cache sync, outside the timed part
  audit();
  const converged = (p: SentimentPlatform) =>
    p.status?.observedGeneration === p.metadata.generation &&
    !!p.status?.phase &&
    p.status.phase !== 'Degraded';
  const t0 = performance.now();
  await pool(placements(namespaces, n), 32, ({ ns, name }) => createPlatform(ns, name, spec));
  const convergeMs =
    performance.now() - t0 + (await until('converged', n, namespaces, converged, 30 * 60_000));
  const requests = audit();
  const memory = rssMiB(op.pid!);

  // Steady state: let the status settle, then watch a full resync period or two.
  await sleep(3000);
  audit();
  await sleep(resyncMs * 2);
  const steady = audit().filter(isWrite);
  // Clean up while the operator runs: it releases the finalizers, then namespace deletion completes.
  for (const ns of namespaces) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  await until('finalized', 0, namespaces, () => false, 10 * 60_000).catch(() => undefined);
  op.kill('SIGTERM');
  return { convergeMs, requests, memory, steadyWrites: steady.length };
}

async function kubectlRun(n: number) {
  const namespaces = await namespacesFor(`bench-kc-${n}-`, n);
  const objects = placements(namespaces, n).flatMap(({ ns, name }) =>
    synthesizeResolved({ metadata: { name, namespace: ns } }, resolveSpec(spec)),
  );
  const file = join(tmpdir(), `bench-kubectl-${n}.yaml`);
  writeFileSync(file, toYaml(objects));
  const t0 = performance.now();
  await kubectl(['apply', '--server-side', '--field-manager=bench-kubectl', '-f', file]);
  return { namespaces, applyMs: performance.now() - t0, objects: objects.length };
}

await installCrd();
const rows: string[] = [];
const cleanup: string[] = [];
try {
  for (const n of SIZES) {
    console.error(`[bench] ${n} platforms: kubectl lower bound…`);
    const kc = await kubectlRun(n);
    cleanup.push(...kc.namespaces);
    console.error(`[bench] ${n} platforms: operator…`);
    const op = await operatorRun(n);
    const writes = op.requests.filter(isWrite).length;
    rows.push(
      [
        String(n).padStart(5),
        String(kc.objects).padStart(7),
        (kc.applyMs / 1000).toFixed(1).padStart(9),
        (op.convergeMs / 1000).toFixed(1).padStart(11),
        (op.convergeMs / kc.applyMs).toFixed(2).padStart(6),
        (op.requests.length / n).toFixed(1).padStart(9),
        (writes / n).toFixed(1).padStart(9),
        op.memory.peak.toFixed(0).padStart(8),
        String(op.steadyWrites).padStart(7),
      ].join(' '),
    );
  }
} finally {
  // The kubectl namespaces hold no platforms: the namespace controller removes them in the background.
  for (const ns of cleanup) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
}
console.log(
  `\nReconcile benchmark (operator concurrency ${CONCURRENCY}; kube-apiserver ${env.KUBE_SERVER}, etcd in /dev/shm; 2 shared cores)`,
);
console.log('    N objects kubectl_s converged_s ratio  req/plat writ/plat peakMiB steadyW');
for (const r of rows) console.log(r);
console.log(
  'ratio = operator time to converge all N / kubectl apply --server-side of the same objects (goal ≤ 1.5 at 1000)',
);
console.log('steadyW = operator writes during 2 resync periods (goal 0)');
