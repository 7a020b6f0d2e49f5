// The model as served, loaded from a built model directory: the encoder (search embeddings), and the
// sentiment encoder (its first layers) with the head (sentiment).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, type Manifest } from './manifest.js';
import { Encoder } from './encoder.js';
import { Head, LABELS, type Label } from './head.js';
import { MODEL_FILES } from './paths.js';
import { WordPieceTokenizer } from './tokenizer.js';

export interface SentimentResult {
  label: Label;
  probabilities: Record<Label, number>;
  /** P(positive) − P(negative), in [−1, 1]. */
  score: number;
}

/** What the service needs of a model: SentimentModel in this thread, or ModelWorker in its own. */
export interface InferenceModel {
  readonly manifest: Manifest;
  /** Search embeddings: 384-d unit vectors. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  classify(texts: readonly string[]): Promise<SentimentResult[]>;
  release(): Promise<void>;
}

/** The model in the calling thread (onnxruntime blocks it while it runs: the service uses ModelWorker). */
export class SentimentModel implements InferenceModel {
  private constructor(
    readonly encoder: Encoder,
    readonly sentimentEncoder: Encoder,
    private readonly head: Head,
    readonly manifest: Manifest,
  ) {}

  static async load(dir: string, threads: number): Promise<SentimentModel> {
    const manifest = readManifest(dir);
    const missing = Object.values(MODEL_FILES).filter((f) => !existsSync(join(dir, f)));
    if (!manifest || missing.length) {
      throw new Error(
        `no built model in ${dir} (missing ${missing.join(', ') || 'manifest'}): run \`npm run build:model -w workloads/ml\``,
      );
    }
    const tokenizer = WordPieceTokenizer.fromFile(join(dir, MODEL_FILES.tokenizer));
    const [encoder, sentimentEncoder, head] = await Promise.all([
      Encoder.load(join(dir, MODEL_FILES.encoder), tokenizer, { threads }),
      Encoder.load(join(dir, MODEL_FILES.sentimentEncoder), tokenizer, { threads, readout: 'mean' }),
      Head.load(join(dir, MODEL_FILES.head), 1),
    ]);
    return new SentimentModel(encoder, sentimentEncoder, head, manifest);
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.encoder.embed(texts);
  }

  async classify(texts: readonly string[]): Promise<SentimentResult[]> {
    return (await this.head.predict(await this.sentimentEncoder.embed(texts))).map(toResult);
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.sentimentEncoder.release(), this.head.release()]);
  }
}

function toResult(p: Float32Array): SentimentResult {
  const probabilities = Object.fromEntries(LABELS.map((l, i) => [l, round(p[i]!)])) as Record<Label, number>;
  const best = LABELS.reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
  return { label: best, probabilities, score: round(p[2]! - p[0]!) };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
