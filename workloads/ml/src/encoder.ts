// bge-small-en-v1.5 in onnxruntime-node: text → unit vector. The full encoder's is the [CLS] state,
// L2-normalised, as the model card prescribes (384-d: the search embedding); the sentiment encoder's is
// the mean token state of each layer it outputs, each L2-normalised, concatenated. Texts are run in
// length-sorted sub-batches so short ones do not pay for the padding of long ones; a text longer than
// 512 tokens is the normalised mean of its windows.
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer } from './tokenizer.js';

export const EMBEDDING_DIM = 384;
/** Sequences per session run unless told otherwise. */
export const DEFAULT_SUB_BATCH = 32;

/**
 * How a sequence's vector is read from the session's outputs: `cls`, the [CLS] row of the first output
 * (the full encoder's last layer); `mean`, per output (a layer's states), the mean of the real tokens'
 * rows, L2-normalised, then concatenated.
 */
export type Readout = 'cls' | 'mean';

export interface EncoderOptions {
  /** onnxruntime intra-op threads (size it to the container's CPUs). */
  threads: number;
  /** Most sequences per session run. */
  subBatch?: number;
  /** Default `cls`. */
  readout?: Readout;
}

export class Encoder {
  /** Length of the vectors `embed` returns. */
  readonly dimensions: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly tokenizer: WordPieceTokenizer,
    private readonly subBatch: number,
    private readonly readout: Readout,
  ) {
    this.dimensions = EMBEDDING_DIM * (readout === 'mean' ? session.outputNames.length : 1);
  }

  /** `tokenizer`: its tokenizer.json, or one already loaded (the encoders of one model share theirs). */
  static async load(
    onnxPath: string,
    tokenizer: string | WordPieceTokenizer,
    options: EncoderOptions,
  ): Promise<Encoder> {
    const session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Idle pool threads sleep instead of spinning for the next run: spinning burned ~4.5 ms of CPU per
      // ticket in the ingest benchmark, taken from the API, the worker and the stores on the same cores
      // (and from a pod's CPU quota); it bought nothing measurable between runs ~10 ms long.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new Encoder(
      session,
      typeof tokenizer === 'string' ? WordPieceTokenizer.fromFile(tokenizer) : tokenizer,
      options.subBatch ?? DEFAULT_SUB_BATCH,
      options.readout ?? 'cls',
    );
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const windows = texts.map((t) => this.tokenizer.encodeWindows(t));
    const flat = windows.flatMap((ws, text) => ws.map((ids) => ({ text, ids })));
    const read: Float32Array[] = new Array(flat.length);
    for (const slice of subBatches(
      flat.map((w) => w.ids.length),
      this.subBatch,
    )) {
      const out = await this.run(slice.map((j) => flat[j]!.ids));
      slice.forEach((j, k) => (read[j] = out[k]!));
    }
    const pooled = texts.map(() => new Float32Array(this.dimensions));
    flat.forEach(({ text }, i) => {
      const acc = pooled[text]!;
      const v = read[i]!;
      for (let d = 0; d < this.dimensions; d++) acc[d]! += v[d]!;
    });
    return pooled.map(normalize);
  }

  /** One session run over padded sequences; returns each sequence's vector, read as `readout` says. */
  private async run(batch: number[][]): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((s) => s.length));
    const n = batch.length;
    const ids = new BigInt64Array(n * width);
    const mask = new BigInt64Array(n * width);
    batch.forEach((seq, r) => {
      for (let c = 0; c < width; c++) {
        ids[r * width + c] = BigInt(c < seq.length ? seq[c]! : this.tokenizer.padId);
        mask[r * width + c] = c < seq.length ? 1n : 0n;
      }
    });
    const dims = [n, width];
    const result = await this.session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * width), dims),
    });
    if (this.readout === 'cls') {
      const output = result[this.session.outputNames[0]!]!;
      const hidden = output.data as Float32Array;
      // Rows per sequence: every token's (the published model) or [CLS]'s alone (the built one).
      const stride = Number(output.dims[1]) * EMBEDDING_DIM;
      return batch.map((_, r) => hidden.slice(r * stride, r * stride + EMBEDDING_DIM));
    }
    const vectors = batch.map(() => new Float32Array(this.dimensions));
    this.session.outputNames.forEach((name, o) => {
      const hidden = result[name]!.data as Float32Array;
      batch.forEach((seq, r) => {
        const mean = vectors[r]!.subarray(o * EMBEDDING_DIM, (o + 1) * EMBEDDING_DIM);
        for (let c = 0; c < seq.length; c++) {
          const row = (r * width + c) * EMBEDDING_DIM;
          for (let d = 0; d < EMBEDDING_DIM; d++) mean[d]! += hidden[row + d]!;
        }
        mean.set(normalize(mean));
      });
    });
    return vectors;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Sequence indices in session runs of at most `size`, sorted by length so a run pads little. */
export function subBatches(lengths: readonly number[], size: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
  const runs: number[][] = [];
  for (let i = 0; i < order.length; i += size) runs.push(order.slice(i, i + size));
  return runs;
}

/** Of the tokens the session runs compute over `lengths` in model calls of `window`, the share that is padding. */
export function paddedFraction(lengths: readonly number[], window: number, size: number): number {
  let computed = 0;
  let real = 0;
  for (let i = 0; i < lengths.length; i += window) {
    const call = lengths.slice(i, i + window);
    for (const run of subBatches(call, size)) {
      computed += run.length * Math.max(...run.map((j) => call[j]!));
      real += run.reduce((a, j) => a + call[j]!, 0);
    }
  }
  return computed ? 1 - real / computed : 0;
}

export function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}
