// The main thread's handle on the model running in a worker thread: same interface as SentimentModel.
import { Worker } from 'node:worker_threads';
import type { Manifest } from './manifest.js';
import type { WorkerRequest } from './inference-worker.js';
import type { InferenceModel, SentimentResult } from './model.js';

type Call = Omit<WorkerRequest, 'id'>;

type Reply = { id: number; error?: string; embeddings?: Float32Array[]; results?: SentimentResult[] };

export class ModelWorker implements InferenceModel {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly manifest: Manifest,
  ) {
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.error) p.reject(new Error(reply.error));
      else p.resolve(reply);
    });
    worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  static start(modelDir: string, threads: number): Promise<ModelWorker> {
    const worker = new Worker(workerEntry(), { workerData: { modelDir, threads } });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: { ready: boolean; manifest?: Manifest; error?: string }) => {
        if (m.ready) resolve(new ModelWorker(worker, m.manifest!));
        else {
          void worker.terminate();
          reject(new Error(m.error));
        }
      });
    });
  }

  private call(req: Call): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return (await this.call({ op: 'embed', texts: [...texts] })).embeddings!;
  }

  async classify(texts: readonly string[]): Promise<SentimentResult[]> {
    return (await this.call({ op: 'classify', texts: [...texts] })).results!;
  }

  async release(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * The worker's entry: the compiled .js next to this file, or — running from source under tsx, whose
 * loader hook Node 20 does not carry into workers — a bootstrap that registers tsx, then imports the .ts.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./inference-worker.js', import.meta.url);
  const entry = new URL('./inference-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
