import test from 'ava';
import { MicroBatcher } from '../src/batcher.js';

test('concurrent submissions share model calls and each gets its own results in order', async (t) => {
  const calls: number[] = [];
  const batcher = new MicroBatcher<string, string>(
    async (items) => {
      calls.push(items.length);
      await new Promise((r) => setTimeout(r, 10));
      return items.map((s) => s.toUpperCase());
    },
    { maxBatch: 8, windowMs: 20 },
  );
  const requests = Array.from({ length: 10 }, (_, r) => Array.from({ length: 3 }, (_, i) => `r${r}-t${i}`));
  const out = await Promise.all(requests.map((texts) => batcher.submit(texts)));
  out.forEach((res, r) =>
    t.deepEqual(
      res,
      requests[r]!.map((s) => s.toUpperCase()),
    ),
  );
  t.is(
    calls.reduce((a, b) => a + b, 0),
    30,
  );
  t.true(calls.length <= 5, `30 texts in ${calls.length} calls`);
  t.true(Math.max(...calls) <= 8);
});

test('a failing model call rejects the requests in that batch only', async (t) => {
  const batcher = new MicroBatcher<string, string>(
    async (items) => {
      if (items.includes('boom')) throw new Error('model failed');
      return items;
    },
    { maxBatch: 1, windowMs: 0 },
  );
  const [bad, good] = await Promise.allSettled([batcher.submit(['boom']), batcher.submit(['fine'])]);
  t.is(bad.status, 'rejected');
  t.deepEqual(good.status === 'fulfilled' && good.value, ['fine']);
  await batcher.drain();
});

test('with concurrency 2, two model calls run at once and never more; drain waits for both', async (t) => {
  let inFlight = 0;
  let most = 0;
  const batcher = new MicroBatcher<number, number>(
    async (items) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return items.map((x) => x * 2);
    },
    { maxBatch: 4, windowMs: 0, concurrency: 2 },
  );
  const requests = Array.from({ length: 6 }, (_, r) => [r, r + 10, r + 20]);
  const pending = requests.map((items) => batcher.submit(items));
  await batcher.drain();
  t.is(inFlight, 0);
  t.is(most, 2);
  t.deepEqual(
    await Promise.all(pending),
    requests.map((items) => items.map((x) => x * 2)),
  );
});
