// Production queue: BullMQ on the tenant's Redis, under the tenant's key prefix. A worker that dies
// mid-job stops renewing its lock (renewed every lockDuration / 2); once it has expired, the next
// stalled check (every lockDuration / 2, by any live worker) moves the job back to waiting and a worker
// resumes it from the job row's checkpoint: recovery takes at most about 1.5 × lockDuration.
import { INGEST_QUEUE, bullmqPrefix } from '@sentiment/crds';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JobInterruptedError, PermanentJobError, type JobHandler, type JobQueue } from './queue.js';

// An enqueue or readiness probe that Redis does not answer in this time counts as Redis being down,
// so an upload answers 503 instead of hanging.
const COMMAND_TIMEOUT_MS = 5000;

export interface BullmqOptions {
  redisUrl: string;
  /** The tenant's Redis key prefix (the tenant's ACL allows only keys starting with it). */
  prefix: string;
  /** How long a silent worker keeps a job before it is handed to another. */
  lockDurationMs?: number;
  log: Logger;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: Redis did not answer within ${COMMAND_TIMEOUT_MS} ms`)),
      COMMAND_TIMEOUT_MS,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The reason BullMQ gives up with, as the handler's own kind: ours came back wrapped (UnrecoverableError),
 * and BullMQ's stalled limit is a verdict of ours to give (the workers running the job kept dying).
 */
function ourError(err: Error): Error {
  if (err instanceof UnrecoverableError) return new PermanentJobError(err.message);
  if (/stalled more than allowable limit/.test(err.message))
    return new PermanentJobError(
      'the workers running this job stopped answering too many times (a crash, an out-of-memory kill or a lost queue connection each time); upload the file again',
    );
  return err;
}

export function bullmqQueue(o: BullmqOptions): JobQueue {
  const prefix = bullmqPrefix(o.prefix);
  const lockDuration = o.lockDurationMs ?? 30_000;
  // BullMQ owns connections made from options (and closes them); instances passed in would stay open.
  // The producer fails fast while Redis is unreachable rather than buffering commands.
  const queue = new Queue(INGEST_QUEUE, {
    connection: { url: o.redisUrl, enableOfflineQueue: false },
    prefix,
  });
  queue.on('error', (err) => o.log.warn({ err }, 'queue connection error'));
  let worker: Worker<{ jobId: string }> | undefined;
  let closing: Promise<void> | undefined;
  return {
    name: 'bullmq',
    async enqueue(jobId) {
      // The job row id doubles as BullMQ's job id: enqueuing twice cannot run it twice. Retries back
      // off long enough to ride out an ML or database restart; each resumes at the checkpoint.
      const opts = {
        jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 10_000 },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      };
      await withTimeout(
        (async () => {
          const job = await queue.add('csv', { jobId }, opts);
          // Callers enqueue only unfinished rows: an id BullMQ has already failed means recording that
          // failure failed (the database was down), so the job runs again from its checkpoint.
          if ((await job.getState()) === 'failed') await job.retry('failed', { resetAttemptsMade: true });
        })(),
        'enqueue',
      );
    },
    async consume(handler: JobHandler, concurrency: number) {
      const w = new Worker<{ jobId: string }>(
        INGEST_QUEUE,
        async (job, token, signal) => {
          try {
            await handler.run(job.data.jobId, signal ?? new AbortController().signal);
          } catch (err) {
            if (err instanceof JobInterruptedError) {
              // Back to waiting now, not after the lock expires, and without using up an attempt.
              await job.moveToWait(token);
              throw new WaitingError();
            }
            throw err instanceof PermanentJobError ? new UnrecoverableError(err.message) : err;
          }
        },
        {
          connection: { url: o.redisUrl },
          prefix,
          concurrency,
          lockDuration,
          stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
          // A job whose workers keep dying (a file that crashes the parser) fails instead of looping.
          maxStalledCount: 5,
        },
      );
      // finishedOn is set only when BullMQ gives up (no retry left, unrecoverable, or stalled too often).
      w.on('failed', (job: Job<{ jobId: string }> | undefined, err: Error) => {
        if (!job?.finishedOn) return;
        handler
          .failed(job.data.jobId, ourError(err))
          .catch((e: unknown) =>
            o.log.error({ err: e, jobId: job.data.jobId }, 'recording the job failure failed'),
          );
      });
      // Without a listener an 'error' event (Redis dropped) would crash the process.
      w.on('error', (err) => o.log.warn({ err }, 'queue worker connection error'));
      await w.waitUntilReady();
      worker = w;
    },
    async ready() {
      return withTimeout(queue.getWaitingCount(), 'ready').then(
        () => true,
        () => false,
      );
    },
    close() {
      // The worker first: running jobs stop at their next checkpoint and go back to waiting, then its
      // connections close.
      closing ??= (async () => {
        worker?.cancelAllJobs('the worker is shutting down');
        await worker?.close();
        await queue.close();
      })();
      return closing;
    },
  };
}
