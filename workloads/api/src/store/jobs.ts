// Job rows in Postgres are the durable record of an ingest (state, progress, row errors and warnings,
// checkpoint); the queue only carries the job id to a worker. A CSV job's file is in upload_chunks
// (ingest/upload-chunks.ts) from its upload until the job completes or fails for good.
import { randomUUID } from 'node:crypto';
import type { JobView } from '../routes/jobs.js';
import type { Db } from './db.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed';
/** 'uploading': a CSV job whose file is still arriving; views and workers do not see it. */
export type JobRowState = 'uploading' | JobState;
export type JobKind = 'csv' | 'json';

/** A row (from 1: the file's data rows, or a JSON batch's items) that was not stored, and why. */
export interface RowError {
  row: number;
  error: string;
}

/** A row that was stored, with what was changed or left out of it. */
export interface RowWarning {
  row: number;
  warning: string;
}

/** A job row keeps this many errors and as many warnings for the UI; the counts are always exact. */
export const MAX_STORED_ROW_ISSUES = 1000;

/** A job as the API shows it: the wire shape of routes/jobs.ts. */
export type { JobView };

// Numeric casts: node-postgres returns bigint as a string, PGlite as a BigInt; float8 is a number in both.
const VIEW_COLUMNS = `id, kind, state, source, rows_read, rows_scored, rows_indexed, checkpoint, error_count, errors,
  warning_count, warnings, failure, created_at, updated_at, created_by, (options->>'bytesTotal')::float8 AS bytes_total, bytes_read::float8 AS bytes_read`;

interface ViewRow {
  id: string;
  kind: JobKind;
  state: JobState;
  source: string;
  rows_read: number;
  rows_scored: number;
  rows_indexed: number;
  checkpoint: number;
  error_count: number;
  errors: RowError[];
  warning_count: number;
  warnings: RowWarning[];
  failure: string | null;
  created_at: Date;
  updated_at: Date;
  created_by: string | null;
  bytes_total: number | null;
  bytes_read: number;
}

function toView(r: ViewRow): JobView {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    source: r.source,
    rowsRead: r.rows_read,
    rowsScored: r.rows_scored,
    rowsIndexed: r.rows_indexed,
    checkpoint: r.checkpoint,
    errorCount: r.error_count,
    errors: r.errors,
    warningCount: r.warning_count,
    warnings: r.warnings,
    failure: r.failure,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    createdBy: r.created_by,
    bytesTotal: r.bytes_total,
    bytesRead: r.bytes_read,
  };
}

/** A queued job; `id` is generated unless the caller chose it. */
export async function createJob(
  db: Pick<Db, 'query'>,
  kind: JobKind,
  source: string,
  options: object,
  createdBy: string | null,
  id: string = randomUUID(),
): Promise<string> {
  await db.query(
    `INSERT INTO jobs (id, kind, state, source, options, created_by) VALUES ($1, $2, 'queued', $3, $4, $5)`,
    [id, kind, source, JSON.stringify(options), createdBy],
  );
  return id;
}

/** A CSV job whose file is about to stream into upload_chunks: hidden until queueUploadedJob. */
export async function createUploadingJob(
  db: Pick<Db, 'query'>,
  id: string,
  source: string,
  options: object,
  createdBy: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO jobs (id, kind, state, source, options, created_by) VALUES ($1, 'csv', 'uploading', $2, $3, $4)`,
    [id, source, JSON.stringify(options), createdBy],
  );
}

/** The whole file is stored: the job becomes visible and runnable, with its size for progress. */
export async function queueUploadedJob(db: Pick<Db, 'query'>, id: string, bytesTotal: number): Promise<void> {
  const r = await db.query(
    `UPDATE jobs SET state = 'queued', options = jsonb_set(options, '{bytesTotal}', to_jsonb($2::bigint)),
       updated_at = now()
     WHERE id = $1 AND state = 'uploading' RETURNING id`,
    [id, bytesTotal],
  );
  if (r.rows.length === 0) throw new Error(`upload job ${id} vanished before it was queued`);
}

/** A refused or interrupted upload: the row goes, and its chunks with it (ON DELETE CASCADE). */
export async function discardUploadingJob(db: Pick<Db, 'query'>, id: string): Promise<void> {
  await db.query(`DELETE FROM jobs WHERE id = $1 AND state = 'uploading'`, [id]);
}

/**
 * Uploads whose API process died mid-stream: every stored chunk touches the row, so one silent for
 * `idleSeconds` is no longer being written.
 */
export async function sweepStaleUploads(db: Pick<Db, 'query'>, idleSeconds: number): Promise<void> {
  await db.query(
    `DELETE FROM jobs WHERE state = 'uploading' AND updated_at < now() - make_interval(secs => $1)`,
    [idleSeconds],
  );
}

export async function getJob(db: Pick<Db, 'query'>, id: string): Promise<JobView | null> {
  const [r] = (
    await db.query<ViewRow>(`SELECT ${VIEW_COLUMNS} FROM jobs WHERE id = $1 AND state <> 'uploading'`, [id])
  ).rows;
  return r ? toView(r) : null;
}

/** Newest first. */
export async function listJobs(db: Pick<Db, 'query'>, limit: number): Promise<JobView[]> {
  const rows = (
    await db.query<ViewRow>(
      `SELECT ${VIEW_COLUMNS} FROM jobs WHERE state <> 'uploading' ORDER BY created_at DESC, id LIMIT $1`,
      [limit],
    )
  ).rows;
  return rows.map(toView);
}

/** What a worker needs to run a job: `options` is validated by the caller. */
export async function getJobWork(
  db: Pick<Db, 'query'>,
  id: string,
): Promise<{
  kind: JobKind;
  state: JobRowState;
  source: string;
  options: unknown;
  rowsRead: number;
  rowsScored: number;
} | null> {
  const [r] = (
    await db.query<{
      kind: JobKind;
      state: JobRowState;
      source: string;
      options: unknown;
      rows_read: number;
      rows_scored: number;
    }>('SELECT kind, state, source, options, rows_read, rows_scored FROM jobs WHERE id = $1', [id])
  ).rows;
  return r
    ? {
        kind: r.kind,
        state: r.state,
        source: r.source,
        options: r.options,
        rowsRead: r.rows_read,
        rowsScored: r.rows_scored,
      }
    : null;
}

/** Jobs a crash or restart may have left behind: queued (never started) or running (interrupted), oldest first. */
export async function unfinishedJobIds(db: Pick<Db, 'query'>, kind: JobKind): Promise<string[]> {
  const rows = (
    await db.query<{ id: string }>(
      `SELECT id FROM jobs WHERE kind = $1 AND state IN ('queued', 'running') ORDER BY created_at, id`,
      [kind],
    )
  ).rows;
  return rows.map((r) => r.id);
}

/** An attempt failed and the queue may retry it: the job waits again, with the reason on show. */
export async function requeueJob(db: Pick<Db, 'query'>, id: string, failure: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET state = 'queued', failure = $2, updated_at = now() WHERE id = $1 AND state = 'running'`,
    [id, failure.slice(0, 2000)],
  );
}

// Completing and failing are final, so the stored upload goes in the same statement: no crash can
// leave chunks behind a finished job.

/** Every row is written: the job is done and its upload deleted. */
export async function completeJob(db: Pick<Db, 'query'>, id: string): Promise<void> {
  await db.query(
    `WITH done AS (UPDATE jobs SET state = 'completed', updated_at = now() WHERE id = $1 RETURNING id)
     DELETE FROM upload_chunks WHERE job_id IN (SELECT id FROM done)`,
    [id],
  );
}

/**
 * No attempt follows: the job fails and its upload is deleted. A completed job stays completed: a late
 * failure report (a lost queue acknowledgement) cannot undo it.
 */
export async function failJob(db: Pick<Db, 'query'>, id: string, failure: string): Promise<void> {
  await db.query(
    `WITH failed AS (UPDATE jobs SET state = 'failed', failure = $2, updated_at = now()
                     WHERE id = $1 AND state <> 'completed' RETURNING id)
     DELETE FROM upload_chunks WHERE job_id IN (SELECT id FROM failed)`,
    [id, failure.slice(0, 2000)],
  );
}
