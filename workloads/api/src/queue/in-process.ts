// Local mode's queue: jobs run in this process with bounded concurrency. Nothing survives a restart
// here, but the job rows do: start() re-enqueues jobs left queued or running (see app/worker.ts).
import type { JobHandler, JobQueue } from './queue.js';

export function inProcessQueue(onError: (jobId: string, err: unknown) => void): JobQueue {
  const pending: string[] = [];
  let handler: JobHandler | undefined;
  let limit = 1;
  let active = 0;
  let closed = false;
  const pump = () => {
    while (handler && !closed && active < limit && pending.length) {
      const id = pending.shift()!;
      active++;
      handler(id)
        .catch((err: unknown) => onError(id, err))
        .finally(() => {
          active--;
          pump();
        });
    }
  };
  return {
    name: 'in-process',
    async enqueue(jobId) {
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
    },
  };
}
