// Multinomial logistic regression on embeddings: full-batch Adam with L2, zero-initialised, no sampling,
// so the same data always gives the same weights. Inner loops run over flat typed arrays (row-major),
// which is what makes a few hundred epochs over 24k × 384 take seconds rather than minutes.
import type { HeadWeights } from './head.js';

export interface TrainOptions {
  l2: number;
  epochs: number;
  learningRate: number;
}

export function trainSoftmax(
  x: readonly Float32Array[],
  y: readonly number[],
  classes: number,
  o: TrainOptions,
): HeadWeights {
  const dim = x[0]!.length;
  const n = x.length;
  const X = new Float32Array(n * dim);
  x.forEach((row, i) => X.set(row, i * dim));
  const stride = dim + 1; // weights then bias, per class
  const params = new Float64Array(classes * stride);
  const grad = new Float64Array(classes * stride);
  const m = new Float64Array(classes * stride);
  const v = new Float64Array(classes * stride);
  const z = new Float64Array(classes);
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const off = i * dim;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        const w = c * stride;
        let s = params[w + dim]!;
        for (let d = 0; d < dim; d++) s += params[w + d]! * X[off + d]!;
        z[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += z[c] = Math.exp(z[c]! - max);
      for (let c = 0; c < classes; c++) {
        const err = z[c]! / sum - (y[i] === c ? 1 : 0);
        const w = c * stride;
        for (let d = 0; d < dim; d++) grad[w + d]! += err * X[off + d]!;
        grad[w + dim]! += err;
      }
    }
    const c1 = 1 - beta1 ** epoch;
    const c2 = 1 - beta2 ** epoch;
    for (let k = 0; k < params.length; k++) {
      const isBias = k % stride === dim;
      const g = grad[k]! / n + (isBias ? 0 : o.l2 * params[k]!);
      m[k] = beta1 * m[k]! + (1 - beta1) * g;
      v[k] = beta2 * v[k]! + (1 - beta2) * g * g;
      params[k]! -= (o.learningRate * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + 1e-8);
    }
  }
  return {
    weights: Array.from({ length: classes }, (_, c) =>
      Array.from(params.subarray(c * stride, c * stride + dim)),
    ),
    bias: Array.from({ length: classes }, (_, c) => params[c * stride + dim]!),
  };
}

/** softmax(W·x + b) into `out`. */
export function probabilities(
  w: readonly number[][],
  b: readonly number[],
  x: Float32Array,
  out: Float64Array,
): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < w.length; c++) {
    let s = b[c]!;
    const row = w[c]!;
    for (let d = 0; d < x.length; d++) s += row[d]! * x[d]!;
    out[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < w.length; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < w.length; c++) out[c]! /= sum;
  return out;
}

/** Per-feature mean and standard deviation of the training rows. */
export interface Standardization {
  mean: Float64Array;
  scale: Float64Array;
}

export function standardization(x: readonly Float32Array[]): Standardization {
  const dim = x[0]!.length;
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (const row of x) for (let d = 0; d < dim; d++) mean[d]! += row[d]!;
  for (let d = 0; d < dim; d++) mean[d]! /= x.length;
  for (const row of x) for (let d = 0; d < dim; d++) scale[d]! += (row[d]! - mean[d]!) ** 2;
  // A constant feature keeps scale 1 rather than dividing by zero.
  for (let d = 0; d < dim; d++) scale[d] = Math.sqrt(scale[d]! / x.length) || 1;
  return { mean, scale };
}

export function standardize(x: readonly Float32Array[], s: Standardization): Float32Array[] {
  return x.map((row) => row.map((v, d) => (v - s.mean[d]!) / s.scale[d]!));
}

/** The head on raw features that equals `head` on standardised ones: W' = W / scale, b' = b − W'·mean. */
export function foldStandardization(head: HeadWeights, s: Standardization): HeadWeights {
  const weights = head.weights.map((w) => w.map((v, d) => v / s.scale[d]!));
  return {
    weights,
    bias: head.bias.map((b, c) => b - weights[c]!.reduce((acc, v, d) => acc + v * s.mean[d]!, 0)),
  };
}
