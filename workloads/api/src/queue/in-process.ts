// Local mode's queue: jobs run in this process with bounded concurrency, one attempt each. Nothing
// survives a restart here, but the job rows do: the worker re-enqueues jobs left queued or running
// (see app/worker.ts).
import type { Logger } from 'pino';
import type { JobHandler, JobQueue } from './queue.js';

export function inProcessQueue(log: Logger): JobQueue {
  const pending: string[] = [];
  // Pending or running ids: enqueuing one of them again must not run it twice.
  const known = new Set<string>();
  let handler: JobHandler | undefined;
  let limit = 1;
  let active = 0;
  let closed = false;
  const stopping = new AbortController();
  const pump = () => {
    while (handler && !closed && active < limit && pending.length) {
      const h = handler;
      const id = pending.shift()!;
      active++;
      h.run(id, stopping.signal)
        .catch(async (err: unknown) => {
          // After close the stores are gone; the job row stays running and is resumed on restart.
          if (!closed) await h.failed(id, err instanceof Error ? err : new Error(String(err)));
        })
        // Only what the handler could not record itself.
        .catch((err: unknown) =>
          log.error({ err, jobId: id }, 'could not record the failure of an ingest job'),
        )
        .finally(() => {
          active--;
          known.delete(id);
          pump();
        });
    }
  };
  return {
    name: 'in-process',
    async enqueue(jobId) {
      if (known.has(jobId)) return;
      known.add(jobId);
      pending.push(jobId);
      // Later tick: the enqueuing request answers before the job starts.
      setImmediate(pump);
    },
    async consume(h, concurrency) {
      handler = h;
      limit = concurrency;
      pump();
    },
    ready: async () => !closed,
    async close() {
      closed = true;
      stopping.abort();
    },
  };
}
