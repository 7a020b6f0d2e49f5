// Ingest job status: state, progress counters, per-row errors (rows not stored) and warnings (rows stored
// with something changed or left out).
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { getJob, listJobs } from '../store/jobs.js';

export const jobListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function jobRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/jobs', requireRole('viewer'), async (ctx) => {
    ctx.body = { items: await listJobs(deps.db, parseOr400(jobListQuery, ctx.query).limit) };
  });
  r.get('/jobs/:id', requireRole('viewer'), async (ctx) => {
    const id = String(ctx.params.id);
    const job = /^[0-9a-f-]{36}$/.test(id) ? await getJob(deps.db, id) : null;
    if (!job) fail(404, 'no such job');
    ctx.body = job;
  });
  return r;
}
