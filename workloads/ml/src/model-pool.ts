// Several model workers, each with its own onnxruntime session on its own thread: on a few cores, two
// calls on one thread each kept both cores busier than one call on two threads (the encoder's small
// kernels leave a second intra-op thread idle much of the time; measured in the package README).
// A call goes to an idle worker, or waits for one; the micro-batcher keeps at most one call per worker in
// flight, so waiting is rare.
import type { Manifest } from './manifest.js';
import type { InferenceModel, SentimentResult } from './model.js';
import { ModelWorker } from './model-worker.js';

export class ModelPool implements InferenceModel {
  private readonly idle: ModelWorker[];
  private readonly waiting: ((w: ModelWorker) => void)[] = [];

  private constructor(private readonly workers: ModelWorker[]) {
    this.idle = [...workers];
  }

  /** `workers` workers of `threadsEach` onnxruntime threads each. */
  static async start(modelDir: string, workers: number, threadsEach: number): Promise<ModelPool> {
    const started = await Promise.allSettled(
      Array.from({ length: workers }, () => ModelWorker.start(modelDir, threadsEach)),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((w) => w.release()));
      throw failed.reason;
    }
    return new ModelPool(ok);
  }

  get manifest(): Manifest {
    return this.workers[0]!.manifest;
  }

  get size(): number {
    return this.workers.length;
  }

  private async using<T>(fn: (w: ModelWorker) => Promise<T>): Promise<T> {
    const worker = this.idle.pop() ?? (await new Promise<ModelWorker>((r) => this.waiting.push(r)));
    try {
      return await fn(worker);
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
    }
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.using((w) => w.embed(texts));
  }

  classify(texts: readonly string[]): Promise<SentimentResult[]> {
    return this.using((w) => w.classify(texts));
  }

  async release(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.release()));
  }
}
