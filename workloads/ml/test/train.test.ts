import test from 'ava';
import {
  foldStandardization,
  probabilities,
  standardization,
  standardize,
  trainSoftmax,
} from '../src/train.js';

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

test('the head is the regularised optimum: L-BFGS agrees with a long plain gradient descent', (t) => {
  // Three overlapping classes in 2-d (a fixed pseudo-random draw), so no weight can grow without bound.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const centres = [
    [1, 0],
    [-0.5, 0.8],
    [-0.5, -0.8],
  ];
  const y = Array.from({ length: 60 }, (_, i) => i % 3);
  const x = y.map((c) => Float32Array.from(centres[c]!.map((v) => v + random())));
  const l2 = 0.01;
  const head = trainSoftmax(x, y, 3, { l2, tolerance: 1e-9, maxIterations: 500 });
  t.true(head.gradient < 1e-9, `gradient ${head.gradient} after ${head.iterations} iterations`);

  // The same objective by gradient descent with a small fixed step, for long enough to settle.
  const w = [0, 1, 2].map(() => [0, 0, 0]); // two weights and the bias per class
  const p = new Float64Array(3);
  for (let step = 0; step < 20_000; step++) {
    const g = [0, 1, 2].map(() => [0, 0, 0]);
    x.forEach((xi, i) => {
      probabilities(
        w.map((r) => r.slice(0, 2)),
        w.map((r) => r[2]!),
        xi,
        p,
      );
      for (let c = 0; c < 3; c++) {
        const err = p[c]! - (y[i] === c ? 1 : 0);
        g[c]![0]! += err * xi[0]!;
        g[c]![1]! += err * xi[1]!;
        g[c]![2]! += err;
      }
    });
    for (let c = 0; c < 3; c++)
      for (let d = 0; d < 3; d++) w[c]![d]! -= 0.5 * (g[c]![d]! / x.length + (d < 2 ? l2 * w[c]![d]! : 0));
  }
  for (let c = 0; c < 3; c++) {
    for (let d = 0; d < 2; d++)
      t.true(Math.abs(head.weights[c]![d]! - w[c]![d]!) < 1e-5, `class ${c} weight ${d}`);
    t.true(Math.abs(head.bias[c]! - w[c]![2]!) < 1e-5, `class ${c} bias`);
  }
});
