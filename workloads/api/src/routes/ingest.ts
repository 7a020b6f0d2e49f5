// Ingest: JSON batches are scored in the request; CSV files are uploaded and queued as jobs.
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail } from '../http/errors.js';
import { ingestJsonBatch } from '../ingest/json-batch.js';

export function ingestRoutes(deps: AppDeps): Router {
  const r = new Router({ prefix: '/v1' });
  r.post('/ingest/json', requireRole('analyst'), async (ctx) => {
    const tickets = (ctx.request.body as { tickets?: unknown } | undefined)?.tickets;
    if (!Array.isArray(tickets) || tickets.length === 0 || tickets.length > 1000) {
      fail(400, 'body must be {"tickets": [...]} with 1 to 1000 tickets');
    }
    ctx.status = 201;
    ctx.body = await ingestJsonBatch(deps, tickets, principalOf(ctx).subject);
  });
  return r;
}
