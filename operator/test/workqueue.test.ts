import test from 'ava';
import { WorkQueue } from '../src/kube/workqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a key added many times while waiting is processed once', async (t) => {
  const seen: string[] = [];
  const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1, baseDelayMs: 5, maxDelayMs: 50 });
  q.add('blocker');
  for (let i = 0; i < 10; i++) q.add('a');
  q.add('b');
  await q.whenIdle();
  t.deepEqual(seen, ['blocker', 'a', 'b']);
});

test('a key is never processed by two workers at once, and an add during processing runs once more after', async (t) => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  const firstRunBlocked = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(
    async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await firstRunBlocked;
      running--;
    },
    { concurrency: 4, baseDelayMs: 5, maxDelayMs: 50 },
  );
  q.add('k');
  q.add('k');
  q.add('k');
  t.is(q.active, 1);
  t.is(q.depth, 0, 'the adds during processing wait as a dirty mark, not in the queue');
  release();
  await q.whenIdle();
  t.is(maxRunning, 1);
  t.is(runs, 2, 'the adds during processing collapse into exactly one more run');
});

test('concurrency is bounded', async (t) => {
  let running = 0;
  let maxRunning = 0;
  const q = new WorkQueue(
    async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
    },
    { concurrency: 3, baseDelayMs: 5, maxDelayMs: 50 },
  );
  for (let i = 0; i < 20; i++) q.add(`k${i}`);
  await q.whenIdle();
  t.is(maxRunning, 3);
});

test('failures retry with capped exponential backoff, reset on success', async (t) => {
  const times: number[] = [];
  let failuresLeft = 5;
  const retries: number[] = [];
  const q = new WorkQueue(
    async () => {
      times.push(Date.now());
      if (failuresLeft-- > 0) throw new Error('boom');
    },
    { concurrency: 1, baseDelayMs: 10, maxDelayMs: 40 },
    (_k, _e, delay) => retries.push(delay),
  );
  q.add('k');
  const deadline = Date.now() + 2000;
  while (times.length < 6 && Date.now() < deadline) await sleep(5);
  t.deepEqual(retries, [10, 20, 40, 40, 40]);
  t.is(times.length, 6);
  for (let i = 1; i < times.length; i++) t.true(times[i]! - times[i - 1]! >= retries[i - 1]! - 2);
  t.is(q.backoff(1), 10);
  t.is(q.backoff(100), 40);
});

test('requeueAfter brings a key back; the earliest of two delayed adds wins', async (t) => {
  const starts: number[] = [];
  const q = new WorkQueue(
    async () => {
      starts.push(Date.now());
      return starts.length === 1 ? { requeueAfterMs: 30 } : undefined;
    },
    { concurrency: 1, baseDelayMs: 5, maxDelayMs: 50 },
  );
  q.add('k');
  q.addAfter('k', 5000);
  const deadline = Date.now() + 3000;
  while (starts.length < 2 && Date.now() < deadline) await sleep(5);
  t.is(starts.length, 2);
  t.true(starts[1]! - starts[0]! >= 28, 'not before the requested delay');
  t.true(starts[1]! - starts[0]! < 3000, 'the 30 ms requeue, not the 5 s one');
  await q.shutdown();
});

test('shutdown waits for running work and refuses new keys', async (t) => {
  let finished = 0;
  const q = new WorkQueue(
    async () => {
      await sleep(30);
      finished++;
    },
    { concurrency: 2, baseDelayMs: 5, maxDelayMs: 50 },
  );
  q.add('a');
  q.add('b');
  q.add('c');
  await sleep(5);
  await q.shutdown();
  t.is(finished, 2, 'the two running keys finished; the waiting one was dropped');
  q.add('d');
  await sleep(40);
  t.is(finished, 2);
});

test('the observer sees each add, how long a key waited and worked, and each retry', async (t) => {
  const events: string[] = [];
  const queued: Record<string, number[]> = {};
  const worked: Record<string, number[]> = {};
  let release!: () => void;
  const blocked = new Promise<void>((r) => (release = r));
  let aRuns = 0;
  let bFailures = 1;
  const q = new WorkQueue(
    async (k) => {
      if (k === 'a' && aRuns++ === 0) await blocked;
      if (k === 'b' && bFailures-- > 0) throw new Error('boom');
    },
    {
      concurrency: 1,
      baseDelayMs: 5,
      maxDelayMs: 50,
      observer: {
        onAdd: (k) => events.push(`add ${k}`),
        onStart: (k, ms) => {
          events.push(`start ${k}`);
          (queued[k] ??= []).push(ms);
        },
        onDone: (k, ms) => {
          events.push(`done ${k}`);
          (worked[k] ??= []).push(ms);
        },
        onRetry: (k) => events.push(`retry ${k}`),
      },
    },
  );
  q.add('a');
  q.add('a'); // while a runs: marked dirty, one add
  q.add('a'); // collapses into that one
  q.add('b');
  q.add('b'); // collapses into the waiting one
  await sleep(40);
  release();
  const deadline = Date.now() + 2000;
  while (events.filter((e) => e === 'done b').length < 2 && Date.now() < deadline) await sleep(5);
  t.deepEqual(events, [
    'add a',
    'start a',
    'add a',
    'add b',
    'done a',
    'start b',
    'retry b',
    'done b',
    'start a',
    'done a',
    'add b', // the retry, after its backoff
    'start b',
    'done b',
  ]);
  t.true(queued.a![0]! < 20, 'the first run started at once');
  t.true(queued.a![1]! >= 35, 'the rerun waited from the add made while a ran');
  t.true(queued.b![0]! >= 35, 'b waited behind a');
  t.true(worked.a![0]! >= 35, 'the blocked run');
  t.true(queued.b![1]! < 35, 'the retry waited from its own add, not from the first');
});

test('a terminal result is neither retried nor requeued; a later add runs the key again', async (t) => {
  let runs = 0;
  let errors = 0;
  const retries: string[] = [];
  const q = new WorkQueue(
    async () => {
      runs++;
      return { terminal: { reason: 'InvalidSpec', message: 'no' } };
    },
    { concurrency: 1, baseDelayMs: 5, maxDelayMs: 50, observer: { onRetry: (k) => retries.push(k) } },
    () => errors++,
  );
  q.add('k');
  await q.whenIdle();
  await sleep(60);
  t.is(runs, 1);
  t.is(errors, 0);
  t.deepEqual(retries, []);
  q.add('k');
  await q.whenIdle();
  t.is(runs, 2);
});

test('unfinishedWork tells the time spent so far by running keys, in all and the longest', async (t) => {
  let release!: () => void;
  const blocked = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(() => blocked, { concurrency: 2, baseDelayMs: 5, maxDelayMs: 50 });
  t.deepEqual(q.unfinishedWork(), { totalMs: 0, longestMs: 0 });
  q.add('first');
  await sleep(40);
  q.add('second');
  await sleep(20);
  const { totalMs, longestMs } = q.unfinishedWork();
  t.true(longestMs >= 55, `longest ${longestMs}`);
  t.true(totalMs >= longestMs + 15 && totalMs < 2 * longestMs, `total ${totalMs}`);
  release();
  await q.whenIdle();
  t.deepEqual(q.unfinishedWork(), { totalMs: 0, longestMs: 0 });
});
