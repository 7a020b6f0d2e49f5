// The ingest worker: takes job ids off the queue and runs each CSV job from the options stored in its
// row. In a cluster it is the `worker` Deployment on BullMQ; in local mode the API process runs it on
// the in-process queue (server.ts). Either way it first re-enqueues the jobs a crash or restart left
// queued or running; each resumes from its checkpoint. The file is the job's upload in the tenant's
// database (ingest/upload-chunks.ts), written by whichever API pod took the upload.
import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import { CsvError } from 'csv-parse';
import type { ApiConfig } from '../config.js';
import { HttpError } from '../http/errors.js';
import { runCsvJob } from '../ingest/csv-job.js';
import { csvJobOptionsSchema } from '../ingest/csv-options.js';
import { hasUpload } from '../ingest/upload-chunks.js';
import type { RetryPolicy } from '../ml-client.js';
import {
  JobInterruptedError,
  JobSupersededError,
  PermanentJobError,
  type JobHandler,
} from '../queue/queue.js';
import { failJob, getJobWork, requeueJob, unfinishedJobIds } from '../store/jobs.js';
import { createDeps } from './adapters.js';
import type { AppDeps } from './deps.js';

type Outcome = 'completed' | 'failed' | 'interrupted' | 'superseded';

interface JobMetrics {
  rows: Counter<'outcome'>;
  duration: Histogram<'outcome'>;
  finished: Counter<'state'>;
}

function jobMetrics(registry: Registry): JobMetrics {
  const registers = [registry];
  return {
    rows: new Counter({
      name: 'sentiment_ingest_rows_total',
      help: 'CSV rows processed by this process, by outcome: scored, or rejected with a row error.',
      labelNames: ['outcome'],
      registers,
    }),
    duration: new Histogram({
      name: 'sentiment_ingest_job_duration_seconds',
      help: 'Duration of one job attempt, by outcome (completed, failed, interrupted by a worker stopping, or superseded by a run that took the job over).',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    }),
    finished: new Counter({
      name: 'sentiment_ingest_jobs_total',
      help: 'Ingest jobs by final state.',
      labelNames: ['state'],
      registers,
    }),
  };
}

/**
 * The reason a job shows everyone who may read it: errors in our own words (and the CSV parser's, which
 * name the line) as they are; anything else, a driver's text with its addresses, SQL or index names, as a
 * stable line with an id that the worker's log carries next to the full error.
 */
export function publicReason(err: unknown): { reason: string; errorId?: string } {
  if (
    err instanceof HttpError ||
    err instanceof PermanentJobError ||
    err instanceof JobInterruptedError ||
    err instanceof CsvError
  )
    return { reason: err.message };
  const errorId = randomUUID();
  return {
    reason: `an internal error stopped the job (error ${errorId}; the worker's log has the details)`,
    errorId,
  };
}

/**
 * How a job's ML requests are retried: long enough to ride out an ML outage or cold start inside the
 * attempt (the defaults at least 5.5 minutes), so the queue's attempts are kept for other failures and an
 * outage never fails a job, which would delete its upload.
 */
export function mlJobRetry(c: ApiConfig): RetryPolicy {
  return { retries: c.ML_JOB_RETRIES, baseDelayMs: c.ML_RETRY_DELAY_MS, maxDelayMs: c.ML_RETRY_MAX_DELAY_MS };
}

async function runJob(deps: AppDeps, m: JobMetrics, jobId: string, signal: AbortSignal): Promise<void> {
  const { db, log } = deps;
  const work = await getJobWork(db, jobId);
  if (!work) throw new PermanentJobError(`job ${jobId} does not exist`);
  // A finished job's id can come round again (re-enqueued at start, a lost acknowledgement): nothing to
  // do. An upload still arriving is never enqueued.
  if (work.state !== 'queued' && work.state !== 'running') {
    log.info({ jobId, state: work.state }, 'ingest job not runnable; skipped');
    return;
  }
  if (work.kind !== 'csv')
    throw new PermanentJobError(`job ${jobId} is a ${work.kind} job; only CSV jobs are queued`);
  const parsed = csvJobOptionsSchema.safeParse(work.options);
  if (!parsed.success)
    throw new PermanentJobError(
      `job ${jobId} has invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const o = parsed.data;
  if (!(await hasUpload(db, jobId)))
    throw new PermanentJobError(`the upload of job ${jobId} is no longer stored`);

  log.info({ jobId, source: work.source, resumeAt: work.rowsRead }, 'ingest job started');
  const end = m.duration.startTimer();
  let outcome: Outcome = 'failed';
  const c = deps.config;
  // The job's own ML client: its waits end when the worker stops.
  const ml = deps.ml.with({
    timeoutMs: c.ML_JOB_TIMEOUT_MS,
    retry: mlJobRetry(c),
    signal,
    onRetry: ({ path, attempt, delayMs, err }) =>
      log.warn({ jobId, path, attempt, delayMs, err: err.message }, 'ML service unavailable; retrying'),
  });
  try {
    await runCsvJob(
      { db, ml, search: deps.search, batchRows: c.INGEST_BATCH_ROWS, batchBytes: c.INGEST_BATCH_BYTES },
      { id: jobId, charset: o.charset, mapping: o.mapping, signal },
    );
    outcome = 'completed';
  } catch (caught) {
    if (caught instanceof JobSupersededError) {
      // This run lost its queue lock (Redis restarted, the worker stalled) and the job was given to another
      // run, which carries it on from the checkpoint: this one leaves the job as it is.
      outcome = 'superseded';
      log.warn({ jobId }, 'ingest job taken over by another run; this one stopped without writing');
      return;
    }
    // A stop that came during an ML request or its backoff, not at a checkpoint, is a stop all the same:
    // the job goes back to the queue at its checkpoint without using up an attempt.
    const err = signal.aborted && !(caught instanceof PermanentJobError) ? new JobInterruptedError() : caught;
    if (err instanceof JobInterruptedError) outcome = 'interrupted';
    // The queue decides whether another attempt follows; until then the job waits, reason on show.
    const { reason, errorId } = publicReason(err);
    await requeueJob(db, jobId, reason).catch((e: unknown) =>
      log.warn({ err: e, jobId }, 'could not requeue the job row'),
    );
    if (outcome === 'interrupted')
      log.info({ jobId }, 'ingest job handed back to the queue at its checkpoint');
    else log.warn({ err, jobId, errorId }, 'ingest job attempt failed');
    throw err;
  } finally {
    const seconds = end({ outcome });
    // Rows this attempt committed (a resumed job starts past what an earlier attempt counted).
    const after = outcome === 'superseded' ? null : await getJobWork(db, jobId).catch(() => null);
    if (after) {
      const scored = Math.max(0, after.rowsScored - work.rowsScored);
      const rejected = Math.max(0, after.rowsRead - work.rowsRead - scored);
      m.rows.inc({ outcome: 'scored' }, scored);
      m.rows.inc({ outcome: 'rejected' }, rejected);
      if (outcome === 'completed')
        log.info({ jobId, seconds, rowsRead: after.rowsRead, scored, rejected }, 'ingest job completed');
    }
  }
  m.finished.inc({ state: 'completed' });
}

async function jobFailed(deps: AppDeps, m: JobMetrics, jobId: string, err: Error): Promise<void> {
  // No retry follows and a failed job cannot be restarted: failJob deletes its upload.
  const { reason, errorId } = publicReason(err);
  await failJob(deps.db, jobId, reason);
  m.finished.inc({ state: 'failed' });
  deps.log.error({ err, jobId, errorId }, 'ingest job failed');
}

/**
 * Runs ingest jobs from deps.queue in this process: the worker process, and the API in local mode.
 * Call once per AppDeps (it registers metrics in deps.registry).
 */
export async function consumeJobs(deps: AppDeps): Promise<void> {
  const m = jobMetrics(deps.registry);
  const handler: JobHandler = {
    run: (id, signal) => runJob(deps, m, id, signal),
    failed: (id, err) => jobFailed(deps, m, id, err),
  };
  // Enqueue is idempotent per job id in both queues, so a job still running elsewhere is not doubled.
  const stranded = await unfinishedJobIds(deps.db, 'csv');
  for (const id of stranded) await deps.queue.enqueue(id);
  if (stranded.length) deps.log.info({ jobs: stranded.length }, 're-enqueued unfinished ingest jobs');
  await deps.queue.consume(handler, deps.config.WORKER_CONCURRENCY);
}

export interface IngestWorker {
  deps: AppDeps;
  close(): Promise<void>;
}

export async function startWorker(
  config: ApiConfig,
  overrides: Partial<AppDeps> = {},
): Promise<IngestWorker> {
  const built = await createDeps(config, overrides);
  const { deps } = built;
  try {
    if (deps.queue.name === 'in-process')
      deps.log.warn('no REDIS_URL: this worker only runs jobs left unfinished in its own database');
    await consumeJobs(deps);
  } catch (err) {
    await built.close();
    throw err;
  }
  deps.log.info({ queue: deps.queue.name, concurrency: config.WORKER_CONCURRENCY }, 'ingest worker started');
  let closing: Promise<void> | undefined;
  return {
    deps,
    close() {
      // Stop taking jobs; running ones stop at their next checkpoint and go back to the queue (another
      // worker resumes them) before the stores they write to close.
      closing ??= (async () => {
        if (!overrides.queue) await deps.queue.close();
        await built.close();
      })();
      return closing;
    },
  };
}
