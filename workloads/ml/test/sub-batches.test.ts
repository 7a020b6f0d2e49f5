import test from 'ava';
import { paddedFraction, subBatches } from '../src/encoder.js';

test('session runs take every sequence once, shortest first, at most `size` each', (t) => {
  const lengths = [9, 3, 7, 3, 12, 1, 5];
  const runs = subBatches(lengths, 3);
  t.deepEqual(
    runs.map((r) => r.map((i) => lengths[i])),
    [[1, 3, 3], [5, 7, 9], [12]],
  );
  t.deepEqual(runs.flat().sort(), [0, 1, 2, 3, 4, 5, 6]);
});

test('the padded share: none for equal lengths, exact for a small case, smaller when calls sort more at once', (t) => {
  t.is(paddedFraction([8, 8, 8, 8], 2, 2), 0);
  // Calls of 2 in the order given: [2, 10] → 20 computed, 12 real; [10, 2] the same: padding 16 of 40.
  t.is(paddedFraction([2, 10, 10, 2], 2, 2), 16 / 40);
  // One call of 4 sorts them into [2, 2] and [10, 10]: no padding.
  t.is(paddedFraction([2, 10, 10, 2], 4, 2), 0);
  const mixed = Array.from({ length: 512 }, (_, i) => 4 + ((i * 37) % 60));
  t.true(paddedFraction(mixed, 512, 32) < paddedFraction(mixed, 128, 32));
  t.true(paddedFraction(mixed, 128, 32) < paddedFraction(mixed, 32, 32));
});
