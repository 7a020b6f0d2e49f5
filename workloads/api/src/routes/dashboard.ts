// Dashboard figures for viewers: the overview and the daily anomalies, over an optional day range.
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { parseOr400 } from '../http/errors.js';
import { anomalies, overview } from '../store/dashboard.js';

const rangeShape = {
  from: z.iso.date().optional().describe('first UTC day (YYYY-MM-DD) of comment created_at, inclusive'),
  to: z.iso.date().optional().describe('last UTC day (YYYY-MM-DD) of comment created_at, inclusive'),
};

const ordered = (r: { from?: string | undefined; to?: string | undefined }) =>
  !r.from || !r.to || r.from <= r.to;
const orderMessage = { message: 'from must not be after to', path: ['from'] };

export const rangeQuery = z.object(rangeShape).refine(ordered, orderMessage);

export const anomalyQuery = z
  .object({
    window: z.coerce.number().int().min(3).max(60).default(7).describe('trailing days the baseline covers'),
    threshold: z.coerce.number().min(1).max(5).default(2).describe('|z| at or above which a day is flagged'),
    ...rangeShape,
  })
  .refine(ordered, orderMessage);

export function dashboardRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/dashboard/overview', requireRole('viewer'), async (ctx) => {
    ctx.body = await overview(deps.db, parseOr400(rangeQuery, ctx.query));
  });
  r.get('/dashboard/anomalies', requireRole('viewer'), async (ctx) => {
    const q = parseOr400(anomalyQuery, ctx.query);
    ctx.body = { window: q.window, threshold: q.threshold, items: await anomalies(deps.db, q) };
  });
  return r;
}
