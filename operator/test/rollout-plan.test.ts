import test from 'ava';
import { planRollout, type FleetMember, type PlanInput } from '../src/rollout/plan.js';

const R = 'new';
const member = (key: string, over: Partial<FleetMember> = {}): FleetMember => ({
  key,
  canary: false,
  fresh: false,
  paused: false,
  specChanged: false,
  revision: 'old',
  phase: 'Ready',
  ...over,
});
const input = (members: FleetMember[], over: Partial<PlanInput> = {}): PlanInput => ({
  revision: R,
  members,
  state: { revision: R, acknowledged: [] },
  admitted: new Map(),
  waveSize: 2,
  progressDeadlineMs: 600_000,
  now: 1_000_000,
  ...over,
});
const fleet = [
  member('ns-a/a'),
  member('ns-b/b'),
  member('ns-c/c', { canary: true }),
  member('ns-d/d'),
  member('ns-e/e'),
];

test('the canaries first, all of them, and nothing else until they are on the template and Ready', (t) => {
  const first = planRollout(input(fleet));
  t.is(first.stage, 'canaries');
  t.deepEqual(first.admit, ['ns-c/c']);
  const admitted = new Map([['ns-c/c', 1_000_000]]);
  const applying = fleet.map((m) => (m.canary ? { ...m, revision: R, phase: 'Progressing' as const } : m));
  const waiting = planRollout(input(applying, { admitted }));
  t.is(waiting.stage, 'canaries');
  t.deepEqual(waiting.admit, [], 'no wave while the canary is not Ready');
  t.deepEqual(waiting.inFlight, ['ns-c/c']);
});

test('then waves of N in namespace/name order, each once the one before is settled; then complete', (t) => {
  const admitted = new Map([['ns-c/c', 0]]);
  let members = fleet.map((m) => (m.canary ? { ...m, revision: R } : m));
  const wave1 = planRollout(input(members, { admitted }));
  t.is(wave1.stage, 'waves');
  t.deepEqual(wave1.admit, ['ns-a/a', 'ns-b/b']);
  for (const k of wave1.admit) admitted.set(k, 0);
  t.deepEqual(planRollout(input(members, { admitted, now: 0 })).admit, [], 'wave 1 in flight');
  members = members.map((m) =>
    wave1.admit.includes(m.key) ? { ...m, revision: R, phase: 'Hibernated' } : m,
  );
  const wave2 = planRollout(input(members, { admitted, now: 0 }));
  t.deepEqual(wave2.admit, ['ns-d/d', 'ns-e/e'], 'hibernated counts as settled');
  for (const k of wave2.admit) admitted.set(k, 0);
  members = members.map((m) => ({ ...m, revision: R }));
  const done = planRollout(input(members, { admitted, now: 0 }));
  t.is(done.stage, 'complete');
  t.deepEqual(done.pending, []);
  t.is(done.updated.length, 5);
});

test('an admitted platform that turns Degraded halts the rollout; a halted rollout admits nothing', (t) => {
  const admitted = new Map([
    ['ns-c/c', 0],
    ['ns-a/a', 0],
  ]);
  const members = fleet.map((m) =>
    m.key === 'ns-a/a'
      ? { ...m, phase: 'Degraded' as const, degradedReason: 'ApplyFailed' }
      : m.canary
        ? { ...m, revision: R }
        : m,
  );
  const plan = planRollout(input(members, { admitted, now: 0 }));
  t.is(plan.stage, 'halted');
  t.deepEqual(plan.halt, { platform: 'ns-a/a', reason: 'turned Degraded (ApplyFailed)' });
  t.deepEqual(plan.admit, []);
  const halted = { revision: R, acknowledged: [], halted: { ...plan.halt!, at: 'then' } };
  const still = planRollout(input(members, { admitted, state: halted, now: 0 }));
  t.is(still.stage, 'halted');
  t.is(still.halt, undefined, 'halted once, not again');
  // Resumed: the platform is acknowledged; it neither halts nor holds the next wave.
  const resumed = planRollout(
    input(members, { admitted, state: { revision: R, acknowledged: ['ns-a/a'] }, now: 0 }),
  );
  t.is(resumed.stage, 'waves');
  t.deepEqual(resumed.admit, ['ns-b/b', 'ns-d/d']);
});

test('an admitted platform not Ready by the progress deadline halts the rollout', (t) => {
  const admitted = new Map([['ns-c/c', 0]]);
  const members = fleet.map((m) => (m.canary ? { ...m, revision: R, phase: 'Progressing' as const } : m));
  t.is(planRollout(input(members, { admitted, now: 600_000 })).halt, undefined);
  t.deepEqual(planRollout(input(members, { admitted, now: 600_001 })).halt, {
    platform: 'ns-c/c',
    reason: 'not Ready 600 s after it was admitted',
  });
});

test('outside the rollout: new, paused and invalid platforms; a spec change is not admitted, it applies by itself', (t) => {
  const members = [
    member('a/new', { fresh: true, revision: undefined, phase: undefined }),
    member('b/paused', { paused: true }),
    member('c/invalid', { phase: 'Degraded', degradedReason: 'InvalidSpec' }),
    member('d/changed', { specChanged: true }),
    member('e/plain'),
  ];
  const plan = planRollout(input(members, { admitted: new Map([['c/invalid', 0]]) }));
  t.deepEqual(plan.admit, ['e/plain']);
  t.deepEqual(plan.pending, ['d/changed', 'e/plain']);
  t.is(plan.halt, undefined, 'an invalid spec is the user’s to fix, not a failed rollout');
});
