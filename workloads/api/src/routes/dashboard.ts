// Dashboard figures for viewers: the overview and the daily anomalies, over an optional day range.
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { parseOr400 } from '../http/errors.js';
import { MIN_SWING, anomalies, overview } from '../store/dashboard.js';
import { count, isoDay, nullableText, trendSchema } from './wire.js';

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
    threshold: z.coerce
      .number()
      .min(1)
      .max(5)
      .default(2)
      .describe(
        `|z| at or above which a day is flagged (its mean must also differ from the baseline's by at least ${MIN_SWING})`,
      ),
    ...rangeShape,
  })
  .refine(ordered, orderMessage);

const labelCounts = z.object({ negative: count, neutral: count, positive: count });

const dayPoint = z.object({
  day: isoDay,
  comments: count,
  avgScore: z.number().nullable(),
  negative: count,
  neutral: count,
  positive: count,
});

const breakdown = z
  .object({
    key: nullableText.describe(
      'the priority, status or assignee; null groups the tickets that have none (not the text "null")',
    ),
    tickets: count,
    avgScore: z.number().nullable(),
    negative: count,
  })
  .meta({ id: 'Breakdown' });

const negativeTicket = z.object({
  id: z.string(),
  summary: z.string(),
  status: nullableText,
  priority: nullableText,
  assignee: nullableText,
  sentimentScore: z.number(),
  trend: trendSchema.nullable(),
});

export const overviewResponse = z
  .object({
    totals: z.object({ tickets: count, comments: count }),
    distribution: labelCounts.describe('comments by label'),
    ticketDistribution: labelCounts.describe('tickets by rolled-up label'),
    trends: z.object({ improving: count, declining: count, stable: count, volatile: count }),
    trendByDay: z.array(dayPoint),
    byPriority: z.array(breakdown),
    byStatus: z.array(breakdown),
    byAssignee: z.array(breakdown).describe('the 20 assignees with most tickets'),
    topNegative: z.array(negativeTicket).describe('the 10 lowest-scored negative tickets'),
  })
  .meta({ id: 'Overview' });
export type Overview = z.infer<typeof overviewResponse>;

const anomaly = z
  .object({
    day: isoDay,
    avgScore: z.number(),
    comments: count,
    trailingMean: z.number(),
    trailingStd: z.number(),
    z: z.number(),
    direction: z.enum(['negative', 'positive']),
  })
  .meta({ id: 'Anomaly' });
export type Anomaly = z.infer<typeof anomaly>;

export const anomaliesResponse = z
  .object({ window: z.int(), threshold: z.number(), items: z.array(anomaly) })
  .meta({ id: 'Anomalies' });

export function dashboardRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/dashboard/overview', requireRole('viewer'), async (ctx) => {
    ctx.body = (await overview(deps.db, parseOr400(rangeQuery, ctx.query))) satisfies Overview;
  });
  r.get('/dashboard/anomalies', requireRole('viewer'), async (ctx) => {
    const q = parseOr400(anomalyQuery, ctx.query);
    ctx.body = {
      window: q.window,
      threshold: q.threshold,
      items: await anomalies(deps.db, q),
    } satisfies z.infer<typeof anomaliesResponse>;
  });
  return r;
}
