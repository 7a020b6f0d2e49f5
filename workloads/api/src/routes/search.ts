// Ticket search: lexical matches from the search backend, re-ranked by the query's embedding when the
// ML service answers (without it the lexical order stands, so search survives an ML outage).
import Router from '@koa/router';
import { Histogram } from 'prom-client';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { requireRole } from '../http/auth.js';
import { parseOr400 } from '../http/errors.js';
import { count, labelSchema, nullableText, timestamp } from './wire.js';

const DAY_MS = 86_400_000;

/** A date or a timestamp; a bare date `to` covers that whole day (the bound sent on is exclusive). */
const instant = (bound: 'from' | 'to') =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })]).transform((v) => {
    const t = new Date(v).getTime();
    return new Date(bound === 'to' && v.length === 10 ? t + DAY_MS : t).toISOString();
  });

export const searchQuery = z
  .object({
    q: z.string().trim().min(1).max(500),
    label: labelSchema.optional(),
    status: z.string().max(100).optional(),
    priority: z.string().max(100).optional(),
    assignee: z.string().max(200).optional(),
    from: instant('from').optional(),
    to: instant('to').optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    // OpenSearch pages at most 10 000 hits deep (index.max_result_window).
    offset: z.coerce.number().int().min(0).max(9900).default(0),
  })
  .refine((s) => !s.from || !s.to || s.from < s.to, { message: 'from must be before to', path: ['to'] });

/** Highlighted text as {text, match} segments, so clients render matches without parsing markup. */
const fragment = z.array(z.object({ text: z.string(), match: z.boolean() })).meta({ id: 'Fragment' });

const searchHit = z
  .object({
    id: z.string(),
    summary: z.string(),
    status: nullableText,
    priority: nullableText,
    assignee: nullableText,
    sentimentScore: z.number().nullable(),
    sentimentLabel: labelSchema.nullable(),
    updatedAt: timestamp.nullable(),
    score: z.number(),
    highlights: z.array(
      z.object({ field: z.enum(['summary', 'description', 'comments']), fragments: z.array(fragment) }),
    ),
  })
  .meta({ id: 'SearchHit' });
export type SearchHit = z.infer<typeof searchHit>;

export const searchResponse = z
  .object({ total: count, backend: z.enum(['opensearch', 'postgres']), items: z.array(searchHit) })
  .meta({ id: 'SearchResults' });

export function searchRoutes(deps: AppDeps): Router {
  const name = 'sentiment_api_search_duration_seconds';
  const latency =
    (deps.registry.getSingleMetric(name) as Histogram<'backend'> | undefined) ??
    new Histogram({
      name,
      help: 'Search backend latency.',
      labelNames: ['backend'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [deps.registry],
    });

  const r = new Router({ prefix: '/v1' });
  r.get('/search', requireRole('viewer'), async (ctx) => {
    const query = parseOr400(searchQuery, ctx.query);
    const embedding = await deps.ml.embeddings([query.q]).then(
      ([e]) => e,
      (err: unknown) => {
        deps.log.warn({ err }, 'query embedding failed; lexical order only');
        return undefined;
      },
    );
    const end = latency.startTimer({ backend: deps.search.name });
    const result = await deps.search.search(query, embedding).finally(() => end());
    ctx.body = {
      total: result.total,
      backend: result.backend,
      items: result.hits,
    } satisfies z.infer<typeof searchResponse>;
  });
  return r;
}
