// Production queue: BullMQ on the tenant's Redis, under the tenant's key prefix. A worker that dies
// mid-job stops renewing its lock; BullMQ moves the job back to waiting after lockDuration and
// another worker resumes it from the job row's checkpoint.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobHandler, JobQueue } from './queue.js';

const QUEUE = 'ingest';

export interface BullmqOptions {
  redisUrl: string;
  /** The tenant's Redis key prefix (ends with ':'); BullMQ adds its own separator. */
  prefix: string;
  /** How long a silent worker keeps a job before it is handed to another. */
  lockDurationMs?: number;
  onError: (jobId: string, err: unknown) => void;
}

export function bullmqQueue(o: BullmqOptions): JobQueue {
  // BullMQ needs blocking commands to wait forever, hence no per-request retry limit.
  const connection = new Redis(o.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  const prefix = o.prefix.replace(/:$/, '');
  const queue = new Queue(QUEUE, { connection, prefix });
  let worker: Worker | undefined;
  return {
    name: 'bullmq',
    async enqueue(jobId) {
      // The job row id doubles as BullMQ's job id: enqueuing twice cannot run it twice.
      await queue.add('csv', { jobId }, { jobId, attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: 1000, removeOnFail: 5000 });
    },
    async consume(handler: JobHandler, concurrency: number) {
      worker = new Worker<{ jobId: string }>(QUEUE, (job) => handler(job.data.jobId), {
        connection: connection.duplicate(),
        prefix,
        concurrency,
        lockDuration: o.lockDurationMs ?? 30_000,
        stalledInterval: Math.max(1000, Math.floor((o.lockDurationMs ?? 30_000) / 2)),
        maxStalledCount: 5,
      });
      worker.on('failed', (job, err) => o.onError(job?.data.jobId ?? '?', err));
      await worker.waitUntilReady();
    },
    async ready() {
      return (await connection.ping().catch(() => '')) === 'PONG';
    },
    async close() {
      await worker?.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
