// Ingest jobs travel through a queue that carries only job ids; Postgres holds the durable job state.
// Two adapters: BullMQ on Redis (production: API and worker are separate pods) and an in-process
// queue (local mode: one process, no Redis).

export type JobHandler = (jobId: string) => Promise<void>;

export interface JobQueue {
  readonly name: 'bullmq' | 'in-process';
  enqueue(jobId: string): Promise<void>;
  /** Starts consuming with `handler`; resolves once the consumer is running. */
  consume(handler: JobHandler, concurrency: number): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
