// Ticket list (filters + pagination) and ticket detail with its comment timeline.
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { getTicket, listTickets } from '../store/tickets-read.js';

export const ticketQuery = z.object({
  status: z.string().max(100).optional(),
  priority: z.string().max(100).optional(),
  assignee: z.string().max(200).optional(),
  label: z.enum(['negative', 'neutral', 'positive']).optional(),
  trend: z.enum(['improving', 'declining', 'stable', 'volatile']).optional(),
  sort: z.enum(['score', 'updated', 'id']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export function ticketRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.get('/tickets', requireRole('viewer'), async (ctx) => {
    ctx.body = await listTickets(deps.db, parseOr400(ticketQuery, ctx.query));
  });
  r.get('/tickets/:id', requireRole('viewer'), async (ctx) => {
    const t = await getTicket(deps.db, String(ctx.params.id));
    if (!t) fail(404, 'no such ticket');
    ctx.body = t;
  });
  return r;
}
