// npm run bench -w workloads/ml, second part: how close the encoder comes to what this machine can do.
// The useful work of a text is counted from the graph (each projection's weight shape and precision, the
// attention products per layer) and the text's true token count (padding is not useful work). The limit
// is an onnxruntime MatMul of the same shapes, alone, in the same precision (MatMulInteger for int8),
// on the same threads: the time the encoder would take if every projection ran at that speed and
// nothing else cost anything. Both encoders run interleaved round by round, the published fp32 one and
// the int8 one the build makes. ROUNDS (default 5) sets the rounds; BENCH_TEXTS (default 1024) the texts.
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../src/build/build.js';
import { loadUci } from '../src/build/dataset.js';
import { fetchEncoder } from '../src/build/sources.js';
import { DEFAULT_SUB_BATCH, Encoder, paddedFraction } from '../src/encoder.js';
import { defaultCacheDir, defaultModelDir, MODEL_FILES } from '../src/paths.js';
import { cpuLimit } from '../src/server.js';
import { embedAsServed, median, servedMaxBatch } from './served.js';

const { onnx } = onnxProto;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TEXTS = Number(process.env.BENCH_TEXTS ?? 1024);
// Rows of the bare MatMul per session run: 8 sub-batches' worth (32 texts of ~16 tokens each), so the cost
// of a run itself (~0.1 ms from Node) is spread thin and the figure is the machine's, an upper bound; at
// one sub-batch's 512 rows the fused int8 encoder ran faster than the "limit".
const ROWS = 4096;
const threads = cpuLimit();

type Precision = 'int8' | 'fp32';
interface Projection {
  k: number;
  n: number;
  precision: Precision;
}

/**
 * The projections (weights, read directly, through DequantizeLinear of an int8 tensor, or as an int8 tensor
 * by MatMulInteger) and layers (a Softmax, or a fused MultiHeadAttention, each).
 */
function graphShape(file: string): { projections: Projection[]; layers: number; hidden: number } {
  const graph = onnx.ModelProto.decode(readFileSync(file)).graph!;
  const initializers = new Map(graph.initializer!.map((i) => [i.name!, i]));
  const producer = new Map(graph.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  const projections: Projection[] = [];
  for (const node of graph.node!.filter((n) => n.opType === 'MatMul' || n.opType === 'MatMulInteger')) {
    for (const input of node.input!) {
      const dq = producer.get(input);
      const direct = initializers.get(input);
      const int8 =
        dq?.opType === 'DequantizeLinear'
          ? initializers.get(dq.input![0]!)
          : direct?.dataType === onnx.TensorProto.DataType.INT8
            ? direct
            : undefined;
      const weight = int8 ?? direct;
      if (weight?.dims?.length === 2)
        projections.push({
          k: Number(weight.dims[0]),
          n: Number(weight.dims[1]),
          precision: int8 ? 'int8' : 'fp32',
        });
    }
  }
  const layers = graph.node!.filter(
    (n) => n.opType === 'Softmax' || n.opType === 'MultiHeadAttention',
  ).length;
  return { projections, layers, hidden: projections[0]!.k };
}

/** A one-MatMul model of the given shape and precision, and its input. */
function matmulModel({ k, n, precision }: Projection): {
  bytes: Uint8Array;
  feed: Record<string, ort.Tensor>;
} {
  const T = onnx.TensorProto.DataType;
  const int8 = precision === 'int8';
  const weight = onnx.TensorProto.create({
    name: 'w',
    dims: [k, n],
    dataType: int8 ? T.INT8 : T.FLOAT,
    rawData: int8
      ? Uint8Array.from({ length: k * n }, (_, i) => (i * 37) % 255)
      : new Uint8Array(Float32Array.from({ length: k * n }, (_, i) => ((i % 97) - 48) / 97).buffer),
  });
  const info = (name: string, type: number, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
    });
  const graph = onnx.GraphProto.create({
    name: 'matmul',
    node: [
      onnx.NodeProto.create({
        opType: int8 ? 'MatMulInteger' : 'MatMul',
        input: ['a', 'w'],
        output: ['y'],
      }),
    ],
    initializer: [weight],
    input: [info('a', int8 ? T.UINT8 : T.FLOAT, [ROWS, k])],
    output: [info('y', int8 ? T.INT32 : T.FLOAT, [ROWS, n])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph });
  const a = int8
    ? new ort.Tensor(
        'uint8',
        Uint8Array.from({ length: ROWS * k }, (_, i) => (i * 13) % 256),
        [ROWS, k],
      )
    : new ort.Tensor(
        'float32',
        Float32Array.from({ length: ROWS * k }, (_, i) => ((i % 89) - 44) / 89),
        [ROWS, k],
      );
  return { bytes: onnx.ModelProto.encode(model).finish(), feed: { a } };
}

/** Operations per second of that MatMul alone (median of rounds of ≥ 0.5 s). */
async function peak(p: Projection): Promise<number> {
  const { bytes, feed } = matmulModel(p);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  await session.run(feed);
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let runs = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 500) {
      await session.run(feed);
      runs++;
    }
    rates.push((runs * 2 * ROWS * p.k * p.n) / ((performance.now() - t0) / 1000));
  }
  await session.release();
  return median(rates);
}

const key = (p: Projection) => `${p.precision} ${p.k}×${p.n}`;
const modelDir = defaultModelDir();
const cacheDir = defaultCacheDir();
await buildModel({ modelDir, cacheDir, threads });
const tokenizerFile = join(modelDir, MODEL_FILES.tokenizer);
const encoders = [
  { name: 'fp32 (published)', file: fetchEncoder(cacheDir).onnx },
  { name: 'int8 (served)', file: join(modelDir, MODEL_FILES.encoder) },
];
const texts = loadUci()
  .map((u) => u.text)
  .slice(0, TEXTS);
const loaded = await Promise.all(
  encoders.map(async (e) => ({
    ...e,
    shape: graphShape(e.file),
    encoder: await Encoder.load(e.file, tokenizerFile, { threads }),
    rates: [] as number[],
  })),
);
// True tokens per window (a text over 512 tokens is several windows).
const lengths = texts.flatMap((t) => loaded[0]!.encoder.tokenizer.encodeWindows(t).map((w) => w.length));
const tokens = lengths.reduce((a, b) => a + b, 0);
const squares = lengths.reduce((a, l) => a + l * l, 0);

const peaks = new Map<string, number>();
for (const e of loaded)
  for (const p of e.shape.projections) if (!peaks.has(key(p))) peaks.set(key(p), await peak(p));
// The attention products are batched small fp32 MatMuls: bounded (generously) by the fp32 peak of the
// hidden×hidden shape.
const attentionPeak = (hidden: number) =>
  peaks.get(`fp32 ${hidden}×${hidden}`) ?? Math.max(...peaks.values());

for (const e of loaded) await e.encoder.embed(texts.slice(0, 64));
for (let r = 0; r < ROUNDS; r++)
  for (const e of loaded) {
    const t0 = performance.now();
    await embedAsServed(e.encoder, texts);
    e.rates.push(texts.length / ((performance.now() - t0) / 1000));
  }

console.log(
  `\nencoder against the machine's limit: ${threads} thread(s), ${texts.length} UCI sentences ` +
    `(${(tokens / texts.length).toFixed(1)} tokens each on average), median of ${ROUNDS} rounds`,
);
console.log(`a MatMul alone, the same shapes (rows ${ROWS}):`);
for (const [k, rate] of peaks) console.log(`  ${k.padEnd(16)} ${(rate / 1e9).toFixed(0).padStart(6)} G op/s`);
console.log('model              texts/s   GFLOP/text   G op/s   limit texts/s   fraction of the limit');
for (const e of loaded) {
  const { projections, layers, hidden } = e.shape;
  // 2·k·n per token per projection; QKᵀ and the weighted sum of V: 2·L²·hidden each per layer.
  const attention = layers * 4 * hidden * squares;
  const ops = projections.reduce((a, p) => a + 2 * p.k * p.n * tokens, 0) + attention;
  const idealSeconds =
    projections.reduce((a, p) => a + (2 * p.k * p.n * tokens) / peaks.get(key(p))!, 0) +
    attention / attentionPeak(hidden);
  const rate = median(e.rates);
  const limit = texts.length / idealSeconds;
  console.log(
    `${e.name.padEnd(18)} ${rate.toFixed(0).padStart(7)} ${(ops / texts.length / 1e9).toFixed(3).padStart(12)} ` +
      `${(((ops / texts.length) * rate) / 1e9).toFixed(0).padStart(8)} ${limit.toFixed(0).padStart(15)} ${(rate / limit).toFixed(2).padStart(23)}`,
  );
  await e.encoder.release();
}
// Padding: the model calls' share of padded tokens when the service sorts within windows of this size.
const windows = [DEFAULT_SUB_BATCH, servedMaxBatch, 4 * servedMaxBatch, lengths.length];
console.log(
  `padded share of the computed tokens, sub-batches of ${DEFAULT_SUB_BATCH} sorted within a model call of ` +
    windows
      .map(
        (w) =>
          `${w}${w === servedMaxBatch ? ' (ML_MAX_BATCH)' : ''}: ${paddedFraction(lengths, w, DEFAULT_SUB_BATCH).toFixed(3)}`,
      )
      .join(', '),
);
const [fp32, int8] = loaded as [(typeof loaded)[0], (typeof loaded)[0]];
console.log(`int8 over fp32: ${(median(int8.rates) / median(fp32.rates)).toFixed(2)}×`);
