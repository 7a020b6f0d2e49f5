// Ingest jobs travel through a queue that carries only job ids; Postgres holds the durable job state.
// Two adapters: BullMQ on Redis (production: API and worker are separate pods) and an in-process
// queue (local mode: one process, no Redis).

export interface JobHandler {
  /**
   * Runs one attempt of the job; a throw means this attempt failed (the queue may retry it). `signal`
   * aborts when the consumer is closing: the handler stops at its next checkpoint with JobInterruptedError.
   */
  run(jobId: string, signal: AbortSignal): Promise<void>;
  /** The job failed for good: its last attempt threw, or (BullMQ) the workers running it kept dying. */
  failed(jobId: string, err: Error): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (the upload is gone, the job row is malformed). */
export class PermanentJobError extends Error {}

/**
 * Thrown by a handler that stopped at a checkpoint because its consumer is closing (a worker pod told
 * to stop): the job goes back to the queue at once, for another worker, without counting as an attempt.
 */
export class JobInterruptedError extends Error {
  constructor() {
    super('the worker running the job is stopping; another worker resumes it from its checkpoint');
  }
}

/**
 * Thrown in a run of a job that another run has taken over (its queue lock was lost while it ran): its
 * batch is not written, and it ends without touching the job, which the other run carries on.
 */
export class JobSupersededError extends Error {
  constructor() {
    super('another run took the job over; this one stops without writing');
  }
}

export interface JobQueue {
  readonly name: 'bullmq' | 'in-process';
  /** Idempotent per job id while the job is queued or running. */
  enqueue(jobId: string): Promise<void>;
  /** Starts consuming with `handler`; resolves once the consumer is running. */
  consume(handler: JobHandler, concurrency: number): Promise<void>;
  ready(): Promise<boolean>;
  /** Stops consuming (running jobs stop at their next checkpoint and go back to the queue); idempotent. */
  close(): Promise<void>;
}
