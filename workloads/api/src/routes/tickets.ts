// Ticket list (filters + pagination) and ticket detail with its comment timeline.
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { getTicket, listTickets } from '../store/tickets-read.js';
import { count, labelSchema, nullableText, timestamp, trendSchema } from './wire.js';

export const ticketQuery = z.object({
  status: z.string().max(100).optional(),
  priority: z.string().max(100).optional(),
  assignee: z.string().max(200).optional(),
  label: labelSchema.optional(),
  trend: trendSchema.optional(),
  sort: z.enum(['score', 'updated', 'id']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const ticketItem = z
  .object({
    id: z.string(),
    summary: z.string(),
    status: nullableText,
    priority: nullableText,
    assignee: nullableText,
    created_at: timestamp.nullable(),
    updated_at: timestamp.nullable(),
    sentiment_score: z
      .number()
      .min(-1)
      .max(1)
      .nullable()
      .describe('recency-weighted roll-up of the comment scores'),
    sentiment_label: labelSchema.nullable(),
    trend: trendSchema.nullable(),
  })
  .meta({ id: 'TicketItem' });
export type TicketItem = z.infer<typeof ticketItem>;

export const ticketPage = z.object({ total: count, items: z.array(ticketItem) }).meta({ id: 'TicketPage' });

const ticketComment = z
  .object({
    seq: z.int(),
    author: z.string(),
    created_at: timestamp,
    body: z.string(),
    label: labelSchema.nullable(),
    score: z.number().nullable().describe('positive minus negative probability, in [-1, 1]'),
    probabilities: z.object({
      negative: z.number().nullable(),
      neutral: z.number().nullable(),
      positive: z.number().nullable(),
    }),
  })
  .meta({ id: 'TicketComment' });

const trajectoryPoint = z.object({
  seq: z.int(),
  at: timestamp,
  score: z.number(),
  rolling: z.number().describe('the roll-up right after this comment'),
});

export const ticketDetail = ticketItem
  .extend({
    description: z.string(),
    comments: z.array(ticketComment),
    trajectory: z
      .array(trajectoryPoint)
      .describe('scored comments in order, with the ticket roll-up as it stood after each'),
  })
  .meta({ id: 'TicketDetail' });
export type TicketDetail = z.infer<typeof ticketDetail>;

export const ticketPath = z.object({ id: z.string() });

export function ticketRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/tickets', requireRole('viewer'), async (ctx) => {
    ctx.body = (await listTickets(deps.db, parseOr400(ticketQuery, ctx.query))) satisfies z.infer<
      typeof ticketPage
    >;
  });
  r.get('/tickets/:id', requireRole('viewer'), async (ctx) => {
    const t = await getTicket(deps.db, String(ctx.params.id));
    if (!t) fail(404, 'no such ticket');
    ctx.body = t satisfies TicketDetail;
  });
  return r;
}
