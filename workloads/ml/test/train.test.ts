import test from 'ava';
import { foldStandardization, probabilities, standardization, standardize } from '../src/train.js';

test('a head trained on standardised features, folded, gives the same probabilities on raw ones', (t) => {
  const x = [
    [1, 10, 5],
    [2, 30, 5],
    [3, 20, 5],
    [4, 60, 5],
  ].map((r) => Float32Array.from(r));
  const s = standardization(x);
  t.deepEqual(Array.from(s.scale).at(-1), 1, 'a constant feature keeps scale 1');
  const head = {
    weights: [
      [0.5, -1, 2],
      [0, 0.3, -0.2],
      [-0.4, 1.1, 0.7],
    ],
    bias: [0.1, -0.2, 0.3],
  };
  const folded = foldStandardization(head, s);
  const standard = standardize(x, s);
  const a = new Float64Array(3);
  const b = new Float64Array(3);
  x.forEach((row, i) => {
    probabilities(head.weights, head.bias, standard[i]!, a);
    probabilities(folded.weights, folded.bias, row, b);
    a.forEach((p, c) => t.true(Math.abs(p - b[c]!) < 1e-6, `row ${i} class ${c}: ${p} vs ${b[c]}`));
  });
});
