// The sentiment head at serving time: softmax(W·e + b) over a 384-d embedding, a small ONNX graph
// (written by build/head-onnx.ts) run by onnxruntime like the encoder.
import * as ort from 'onnxruntime-node';

export const LABELS = ['negative', 'neutral', 'positive'] as const;
export type Label = (typeof LABELS)[number];

export interface HeadWeights {
  /** classes × dim, rows in LABELS order. */
  weights: number[][];
  bias: number[];
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
