// Ingest job status: state, progress counters, per-row errors (rows not stored) and warnings (rows stored
// with something changed or left out).
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { getJob, listJobs } from '../store/jobs.js';
import { count, nullableText, timestamp } from './wire.js';

export const jobListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const jobView = z
  .object({
    id: z.string(),
    kind: z.enum(['csv', 'json']),
    state: z.enum(['queued', 'running', 'completed', 'failed']),
    source: z.string().describe("the uploaded file's name, or a description of a JSON batch"),
    rowsRead: count,
    rowsScored: count,
    rowsIndexed: count,
    checkpoint: count,
    errorCount: count.describe('rows not stored'),
    errors: z
      .array(z.object({ row: z.int(), error: z.string() }))
      .describe(
        'the first 1000 rows not stored, and why (rows count from 1: data rows of a file, items of a batch)',
      ),
    warningCount: count.describe('what was changed or left out of stored rows (a row may have several)'),
    warnings: z.array(z.object({ row: z.int(), warning: z.string() })).describe('the first 1000 warnings'),
    failure: nullableText,
    createdAt: timestamp,
    updatedAt: timestamp,
    createdBy: nullableText,
    bytesTotal: count.nullable().describe('size of the uploaded file; null for JSON batches'),
    bytesRead: count.describe('bytes of the file read so far: with bytesTotal, a progress percentage'),
  })
  .meta({ id: 'JobView' });
export type JobView = z.infer<typeof jobView>;

export const jobList = z.object({ items: z.array(jobView) }).meta({ id: 'JobList' });
export const jobPath = z.object({ id: z.string() });

export function jobRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/jobs', requireRole('viewer'), async (ctx) => {
    ctx.body = {
      items: await listJobs(deps.db, parseOr400(jobListQuery, ctx.query).limit),
    } satisfies z.infer<typeof jobList>;
  });
  r.get('/jobs/:id', requireRole('viewer'), async (ctx) => {
    const id = String(ctx.params.id);
    const job = /^[0-9a-f-]{36}$/.test(id) ? await getJob(deps.db, id) : null;
    if (!job) fail(404, 'no such job');
    ctx.body = job satisfies JobView;
  });
  return r;
}
