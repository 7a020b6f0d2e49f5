// The sentiment head: softmax(W·e + b) over a 384-d embedding, as a small ONNX graph (Gemm + Softmax)
// written with onnx-proto, so serving runs encoder and head through the same onnxruntime path.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export const LABELS = ['negative', 'neutral', 'positive'] as const;
export type Label = (typeof LABELS)[number];

export interface HeadWeights {
  /** classes × dim, rows in LABELS order. */
  weights: number[][];
  bias: number[];
}

export function headModelBytes(w: HeadWeights): Uint8Array {
  const classes = w.weights.length;
  const dim = w.weights[0]!.length;
  const tensor = (name: string, dims: number[], values: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
  const valueInfo = (name: string, cols: number) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: 'batch' }, { dimValue: cols }] },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sentiment-platform',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'sentiment-head',
      input: [valueInfo('embedding', dim)],
      output: [valueInfo('probabilities', classes)],
      initializer: [tensor('W', [classes, dim], w.weights.flat()), tensor('b', [classes], w.bias)],
      node: [
        onnx.NodeProto.create({
          opType: 'Gemm',
          input: ['embedding', 'W', 'b'],
          output: ['logits'],
          attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        }),
        onnx.NodeProto.create({
          opType: 'Softmax',
          input: ['logits'],
          output: ['probabilities'],
          attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        }),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export class Head {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(path: string, threads: number): Promise<Head> {
    return new Head(
      await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1 }),
    );
  }

  /** Class probabilities (LABELS order) of each embedding. */
  async predict(embeddings: readonly Float32Array[]): Promise<Float32Array[]> {
    if (embeddings.length === 0) return [];
    const dim = embeddings[0]!.length;
    const input = new Float32Array(embeddings.length * dim);
    embeddings.forEach((e, i) => input.set(e, i * dim));
    const out = await this.session.run({
      embedding: new ort.Tensor('float32', input, [embeddings.length, dim]),
    });
    const p = out.probabilities!.data as Float32Array;
    return embeddings.map((_, i) => p.slice(i * LABELS.length, (i + 1) * LABELS.length));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
