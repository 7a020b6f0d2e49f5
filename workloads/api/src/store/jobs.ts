// Job rows in Postgres are the durable record of an ingest (state, progress, row errors, checkpoint);
// the queue only carries the job id to a worker.
import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed';

export interface JobView {
  id: string;
  kind: 'csv' | 'json';
  state: JobState;
  rowsRead: number;
  rowsScored: number;
  rowsIndexed: number;
  checkpoint: number;
  errorCount: number;
  errors: { row: number; error: string }[];
  failure: string | null;
}

export async function createJob(
  db: Pick<Db, 'query'>,
  kind: 'csv' | 'json',
  source: string,
  options: object,
  createdBy: string | null,
): Promise<string> {
  const id = randomUUID();
  await db.query(`INSERT INTO jobs (id, kind, state, source, options, created_by) VALUES ($1, $2, 'queued', $3, $4, $5)`, [
    id, kind, source, JSON.stringify(options), createdBy,
  ]);
  return id;
}

export async function getJob(db: Pick<Db, 'query'>, id: string): Promise<JobView | null> {
  const [r] = (
    await db.query<{
      id: string; kind: 'csv' | 'json'; state: JobState; rows_read: number; rows_scored: number; rows_indexed: number;
      checkpoint: number; error_count: number; errors: { row: number; error: string }[]; failure: string | null;
    }>('SELECT * FROM jobs WHERE id = $1', [id])
  ).rows;
  if (!r) return null;
  return {
    id: r.id, kind: r.kind, state: r.state, rowsRead: r.rows_read, rowsScored: r.rows_scored,
    rowsIndexed: r.rows_indexed, checkpoint: r.checkpoint, errorCount: r.error_count, errors: r.errors, failure: r.failure,
  };
}

export async function failJob(db: Pick<Db, 'query'>, id: string, failure: string): Promise<void> {
  await db.query(`UPDATE jobs SET state = 'failed', failure = $2, updated_at = now() WHERE id = $1`, [id, failure.slice(0, 2000)]);
}
