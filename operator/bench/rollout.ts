// Fleet rollout benchmark (issue: 100 tenants, waves of 10). Against the real test API server, with the
// operator as its own process (compiled, as the image runs it): N platforms, hibernated (no pods: one test
// node cannot run a hundred tenants, and a hibernated platform still takes every template change) and with
// their data Secrets given (tenancy is per-tenant database work, left to the integration tests), are brought
// to template 1; then the operator restarts with template 2 (another dashboard origin in every ConfigMap) and
// a rollout of one canary and waves of W. Timed: until every platform is on template 2, and each wave.
//   peer: the same change with the rollout off (--rollout-wave-size 0), every platform at once: the ratio is
//         what the waiting between waves costs.
// Run: npm run bench -w operator (needs `npm run env:up`); BENCH_ROLLOUT_PLATFORMS (default 100),
// BENCH_ROLLOUT_WAVE (default 10).
import { ROLLOUT_LABEL, type SentimentPlatformSpec } from '@sentiment/crds';
import { createPlatform, env, kubectl, spawnOperator, tempNamespace } from '../test/operator/harness.js';
import { BYO_DATA, namespacesFor, placements, platforms, sleep } from './support.js';

const N = Number(process.env.BENCH_ROLLOUT_PLATFORMS ?? 100);
const WAVE = Number(process.env.BENCH_ROLLOUT_WAVE ?? 10);
const spec: SentimentPlatformSpec = {
  profile: 'demo',
  hibernate: true,
  data: BYO_DATA,
};

/** The revision every platform reaches, and when each reached it (ms from t0). */
async function untilAllOnNewTemplate(
  namespaces: string[],
  before: string | undefined,
  t0: number,
): Promise<{ revision: string; reachedAt: number[] }> {
  const reached = new Map<string, number>();
  for (;;) {
    const all = await platforms(namespaces);
    let revision = '';
    for (const p of all) {
      const r = p.status?.templateRevision;
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      if (r && r !== before && p.status?.phase === 'Hibernated' && !reached.has(key)) {
        reached.set(key, performance.now() - t0);
        revision = r;
      }
    }
    if (reached.size === N) return { revision, reachedAt: [...reached.values()].sort((a, b) => a - b) };
    if (performance.now() - t0 > 30 * 60_000) throw new Error(`only ${reached.size}/${N} after 30 min`);
    await sleep(250);
  }
}

function operator(namespaces: string[], stateNs: string, origin: string | undefined, waveSize: number) {
  return spawnOperator(
    [
      '--namespaces',
      namespaces.join(','),
      '--no-leader-elect',
      '--http-port',
      '0',
      '--log-level',
      'warn',
      '--rollout-wave-size',
      String(waveSize),
      '--rollout-namespace',
      stateNs,
      ...(origin ? ['--dashboard-origin', origin] : []),
    ],
    { compiled: true },
  );
}

async function stop(op: ReturnType<typeof spawnOperator>): Promise<void> {
  if (op.exitCode !== null || op.signalCode !== null) return;
  const exited = new Promise((resolve) => op.once('exit', resolve));
  op.kill('SIGTERM');
  await exited;
}

const namespaces = await namespacesFor('bench-rollout-', N);
const stateNs = await tempNamespace('bench-rollout-state');
const tenants = placements(namespaces, N);
let op = operator(namespaces, stateNs, undefined, WAVE);
try {
  for (const { ns, name } of tenants) await createPlatform(ns, name, spec);
  await kubectl([
    'label',
    'sentimentplatform',
    tenants[N - 1]!.name,
    '-n',
    tenants[N - 1]!.ns,
    `${ROLLOUT_LABEL}=canary`,
  ]);
  console.error(`[bench] ${N} platforms to template 1…`);
  const first = await untilAllOnNewTemplate(namespaces, undefined, performance.now());
  await stop(op);

  console.error(`[bench] template 2 in a rollout: 1 canary, waves of ${WAVE}…`);
  let t0 = performance.now();
  op = operator(namespaces, stateNs, 'https://v2.example.com', WAVE);
  const rolled = await untilAllOnNewTemplate(namespaces, first.revision, t0);
  await stop(op);

  console.error('[bench] template 3, every platform at once…');
  t0 = performance.now();
  op = operator(namespaces, stateNs, 'https://v3.example.com', 0);
  const atOnce = await untilAllOnNewTemplate(namespaces, rolled.revision, t0);

  const s = (ms: number) => (ms / 1000).toFixed(1);
  const waves = Math.ceil((N - 1) / WAVE);
  const last = rolled.reachedAt.at(-1)!;
  const canary = rolled.reachedAt[0]!;
  console.log(
    `\nFleet rollout benchmark (${N} hibernated platforms, 1 canary + ${waves} waves of ${WAVE}; kube-apiserver ${env.KUBE_SERVER}; 2 shared cores)`,
  );
  console.log('                      total_s  canary_s  per_wave_s');
  console.log(
    `rollout               ${s(last).padStart(7)}  ${s(canary).padStart(8)}  ${s((last - canary) / waves).padStart(10)}`,
  );
  console.log(`all at once (peer)    ${s(atOnce.reachedAt.at(-1)!).padStart(7)}`);
  console.log(`ratio rollout / all at once: ${(last / atOnce.reachedAt.at(-1)!).toFixed(2)}`);
} finally {
  // Deleted while the operator runs: it releases the finalizers (the data is the user's: nothing to drop).
  for (const ns of [...namespaces, stateNs])
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  await sleep(20_000);
  await stop(op);
}
