import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import onnxProto from 'onnx-proto';
import { QUANTIZATION } from '../src/build/quantize.js';
import { SentimentModel } from '../src/model.js';
import { modelDir } from './model-fixture.js';

const { onnx } = onnxProto;

let model: SentimentModel;
test.before(async () => {
  model = await SentimentModel.load(await modelDir(), 2);
});
test.after.always(async () => {
  await model?.release();
});

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
type Graph = NonNullable<InstanceType<typeof onnx.ModelProto>['graph']>;
const int8Weights = (graph: Graph) =>
  new Set(graph.initializer!.filter((i) => i.dataType === onnx.TensorProto.DataType.INT8).map((i) => i.name));
const rowScaledProducts = (graph: Graph, int8 = int8Weights(graph)) =>
  graph.node!.filter((n) => n.opType === 'MatMulIntegerToFloat' && n.input!.some((i) => int8.has(i)));
const layerOf = (n: { name?: string | null }) => Number(/layer\.(\d+)\//.exec(n.name!)![1]);

test('clear cases are classified right, with probabilities that sum to 1 and a score in [-1, 1]', async (t) => {
  const [pos, neg, pos2, neg2] = await model.classify([
    'Thank you so much, the agent fixed my problem in minutes. Excellent support!',
    'This is the third time my order arrived broken. Terrible service, I want a refund.',
    'Great product, works perfectly and I love it.',
    'The app keeps crashing and nobody answers my emails. Awful.',
  ]);
  for (const r of [pos, neg, pos2, neg2]) {
    const sum = r!.probabilities.negative + r!.probabilities.neutral + r!.probabilities.positive;
    t.true(Math.abs(sum - 1) < 1e-4);
    t.true(r!.score >= -1 && r!.score <= 1);
  }
  t.is(pos!.label, 'positive');
  t.is(pos2!.label, 'positive');
  t.is(neg!.label, 'negative');
  t.is(neg2!.label, 'negative');
  t.true(pos!.score > 0.5 && neg!.score < -0.5);
});

test('a factual sentence is less polar than clear praise or complaint', async (t) => {
  const [fact, praise, complaint] = await model.classify([
    'The invoice was sent on Tuesday to the billing address on file.',
    'Absolutely wonderful experience, best support team ever!',
    'Worst experience ever, completely useless support.',
  ]);
  t.true(Math.abs(fact!.score) < Math.abs(praise!.score));
  t.true(Math.abs(fact!.score) < Math.abs(complaint!.score));
  t.true(fact!.probabilities.neutral > praise!.probabilities.neutral);
});

test('embeddings are unit vectors; similar sentences are closer than unrelated ones', async (t) => {
  const [a, b, c] = await model.embed([
    'I cannot log in to my account, the password reset email never arrives.',
    'Password reset emails are not being delivered so I am locked out of my account.',
    'The quarterly revenue report shows growth in the European market.',
  ]);
  t.is(a!.length, 384);
  t.true(Math.abs(cosine(a!, a!) - 1) < 1e-4);
  t.true(
    cosine(a!, b!) > cosine(a!, c!) + 0.15,
    `similar ${cosine(a!, b!).toFixed(3)} vs unrelated ${cosine(a!, c!).toFixed(3)}`,
  );
});

test('text longer than 512 tokens is pooled over windows, not truncated or refused', async (t) => {
  const praise = 'The support team was wonderful, helpful and fast. ';
  const long = praise.repeat(120) + 'Everything else was fine too.';
  const [r] = await model.classify([long]);
  t.is(r!.label, 'positive');
  const [short, unrelated, pooled] = await model.embed([
    praise,
    'Quarterly tax filing deadlines for small firms.',
    praise.repeat(120),
  ]);
  t.true(
    cosine(short!, pooled!) > cosine(unrelated!, pooled!) + 0.2,
    'the pooled windows keep the meaning of the repeated sentence',
  );
});

test('a text gets the same vector and scores alone as in any batch (int8 scales fixed, or from its own rows)', async (t) => {
  const texts = [
    'ok',
    'Moved to the engineering queue.',
    'Thanks, that fixed it!',
    'The export has failed every night since the upgrade and nobody has told us why, which is unacceptable.',
    'Attached the logs from the failing request; the timeout happens after exactly thirty seconds.',
  ];
  // Batched with texts of other lengths (padding differs), in other orders and sub-batch positions.
  const filler = Array.from(
    { length: 40 },
    (_, i) => `Filler sentence number ${i} ${'with more words '.repeat(i % 7)}`,
  );
  const batched = await model.embed([...filler.slice(0, 20), ...texts, ...filler.slice(20)]);
  const reversed = await model.embed([...texts].reverse());
  const scored = await model.classify([...filler.slice(5, 30), ...texts]);
  for (const [i, text] of texts.entries()) {
    const [alone] = await model.embed([text]);
    const [aloneScore] = await model.classify([text]);
    for (const [what, other] of [
      ['among 40 others', batched[20 + i]!],
      ['in reverse order', reversed[texts.length - 1 - i]!],
    ] as const) {
      const diff = Math.max(...alone!.map((x, d) => Math.abs(x - other[d]!)));
      t.true(diff <= 1e-6, `"${text}" ${what}: embedding moved by ${diff}`);
    }
    t.deepEqual(scored[25 + i], aloneScore, `"${text}": scores differ batched and alone`);
  }
});

test('the served encoder is the int8 one the manifest describes', async (t) => {
  t.regex(model.manifest.quantization, /^int8, scales independent of the batch/);
  const graph = onnx.ModelProto.decode(readFileSync(join(await modelDir(), 'encoder.onnx'))).graph!;
  const int8 = int8Weights(graph);
  const floats = new Set(
    graph.initializer!.filter((i) => i.dataType === onnx.TensorProto.DataType.FLOAT).map((i) => i.name),
  );
  // On fixed ranges, a projection reads its weight through DequantizeLinear from an int8 initializer; on
  // each row's own range, MatMulIntegerToFloat reads the int8 weight itself.
  const dequantized = new Set(
    graph
      .node!.filter((n) => n.opType === 'DequantizeLinear' && int8.has(n.input![0]!))
      .map((n) => n.output![0]),
  );
  const fixed = graph.node!.filter((n) => n.opType === 'MatMul' && n.input!.some((i) => dequantized.has(i)));
  const rowScaled = rowScaledProducts(graph, int8);
  t.is(fixed.length, 72 - QUANTIZATION.rowScaledFfnOutputLayers.length);
  t.deepEqual(rowScaled.map(layerOf), [...QUANTIZATION.rowScaledFfnOutputLayers]);
  t.true(rowScaled.every((n) => /\/output\/dense\/MatMul\//.test(n.name!) && !/attention/.test(n.name!)));
  t.deepEqual(
    graph
      .node!.filter((n) => n.opType === 'MatMul' && n.input!.some((i) => floats.has(i)))
      .map((n) => n.name),
    [],
    'no projection is left in fp32',
  );
  // Attention is one node per layer, softmax and all.
  t.is(graph.node!.filter((n) => n.opType === 'MultiHeadAttention').length, 12);
  t.is(graph.node!.filter((n) => n.opType === 'Softmax').length, 0);
  t.regex(
    model.manifest.quantization,
    new RegExp(`layers ${QUANTIZATION.rowScaledFfnOutputLayers.join(', ')} on each row's own range`),
  );
  // The last layer runs the [CLS] row only: one row per sequence comes out.
  t.is(Number(graph.output![0]!.type!.tensorType!.shape!.dim![1]!.dimValue), 1);
});

test("the sentiment encoder is the served encoder up to the read layers, each projection on its rows' ranges", async (t) => {
  const dir = await modelDir();
  const read = (f: string) => onnx.ModelProto.decode(readFileSync(join(dir, f))).graph!;
  const full = read('encoder.onnx');
  const cut = read('sentiment-encoder.onnx');
  const last = Math.max(...QUANTIZATION.sentimentReadLayers);
  t.deepEqual(
    cut.output!.map((o) => o.name),
    QUANTIZATION.sentimentReadLayers.map((k) => `layer.${k}`),
  );
  t.is(cut.node!.filter((n) => n.opType === 'MultiHeadAttention').length, last + 1);
  t.false(cut.node!.some((n) => new RegExp(`/layer\\.${last + 1}/`).test(n.name!)));
  // No calibrated range and no fp32 projection: all six projections of each layer are int8 products, and
  // query, key and value quantise their one input once.
  t.false(cut.node!.some((n) => n.opType === 'DequantizeLinear' || n.opType === 'MatMul'));
  t.deepEqual(
    rowScaledProducts(cut).map(layerOf),
    Array.from({ length: last + 1 }, (_, k) => Array<number>(6).fill(k)).flat(),
  );
  t.is(cut.node!.filter((n) => n.opType === 'QuantizeLinear').length, 4 * (last + 1));
  // Cut from the same encoder: what both files hold under one name (the embeddings, layer norms, the
  // FFN outputs both scale per row) is the same, byte for byte.
  const weights = new Map(full.initializer!.map((i) => [i.name!, onnx.TensorProto.encode(i).finish()]));
  const shared = cut.initializer!.filter((i) => weights.has(i.name!));
  t.true(shared.some((i) => /word_embeddings/.test(i.name!)));
  t.true(shared.some((i) => /layer\.0\/output\/dense\/MatMul\/row_int8\/weight_q/.test(i.name!)));
  t.deepEqual(
    shared
      .filter((i) => !Buffer.from(onnx.TensorProto.encode(i).finish()).equals(weights.get(i.name!)!))
      .map((i) => i.name),
    [],
  );
  t.regex(model.manifest.sentiment, /^the mean token states of layers /);
  t.is(model.sentimentEncoder.dimensions, 384 * QUANTIZATION.sentimentReadLayers.length);
});
