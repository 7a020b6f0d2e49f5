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
