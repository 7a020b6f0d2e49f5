// The model's own thread. onnxruntime-node runs inference synchronously on the calling thread, which on
// the main thread would stall HTTP (health checks included) for the length of every batch.
import { parentPort, workerData } from 'node:worker_threads';
import { SentimentModel } from './model.js';

export type WorkerRequest = { id: number; op: 'embed' | 'classify'; texts: string[] };

const port = parentPort!;
const { modelDir, threads } = workerData as { modelDir: string; threads: number };
try {
  const model = await SentimentModel.load(modelDir, threads);
  port.on('message', (req: WorkerRequest) => {
    const work =
      req.op === 'embed'
        ? model.embed(req.texts).then((embeddings) =>
            port.postMessage(
              { id: req.id, embeddings },
              embeddings.map((e) => e.buffer as ArrayBuffer),
            ),
          )
        : model.classify(req.texts).then((results) => port.postMessage({ id: req.id, results }));
    work.catch((err: Error) => port.postMessage({ id: req.id, error: err.message }));
  });
  port.postMessage({ ready: true, manifest: model.manifest });
} catch (err) {
  port.postMessage({ ready: false, error: (err as Error).message });
}
