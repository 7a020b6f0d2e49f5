// The OpenAPI 3.1 description of every route (served at /openapi.json). Request schemas the routes
// validate with are imported and converted (zod's JSON Schema is draft 2020-12, OpenAPI 3.1's dialect);
// responses are described here. test/openapi.test.ts fails when a mounted route is missing.
import { HEALTH_PATHS, METRICS_PATH } from '@sentiment/crds';
import { z } from 'zod';
import type { Role } from './auth/tokens.js';
import { SHAPES } from './ask/shapes.js';
import { askBody } from './routes/ask.js';
import { anomalyQuery, rangeQuery } from './routes/dashboard.js';
import { ticketQuery } from './routes/tickets.js';

type Json = Record<string, unknown>;

const label = z.enum(['negative', 'neutral', 'positive']);
const trend = z.enum(['improving', 'declining', 'stable', 'volatile']);
const timestamp = z.iso.datetime();
const nullableText = z.string().nullable();
const isoDay = z.iso.date();

const errorBody = z.object({ error: z.string() });

const ticketItem = z.object({
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
  sentiment_label: label.nullable(),
  trend: trend.nullable(),
});

const ticketDetail = ticketItem.extend({
  description: z.string(),
  comments: z.array(
    z.object({
      seq: z.int(),
      author: z.string(),
      created_at: timestamp,
      body: z.string(),
      label: label.nullable(),
      score: z.number().nullable().describe('positive minus negative probability, in [-1, 1]'),
      probabilities: z.object({
        negative: z.number().nullable(),
        neutral: z.number().nullable(),
        positive: z.number().nullable(),
      }),
    }),
  ),
  trajectory: z
    .array(
      z.object({
        seq: z.int(),
        at: timestamp,
        score: z.number(),
        rolling: z.number().describe('the roll-up right after this comment'),
      }),
    )
    .describe('scored comments in order, with the ticket roll-up as it stood after each'),
});

const jobView = z.object({
  id: z.string(),
  kind: z.enum(['csv', 'json']),
  state: z.enum(['queued', 'running', 'completed', 'failed']),
  source: z.string(),
  rowsRead: z.int(),
  rowsScored: z.int(),
  rowsIndexed: z.int(),
  checkpoint: z.int(),
  errorCount: z.int().describe('rows not stored'),
  errors: z
    .array(z.object({ row: z.int(), error: z.string() }))
    .describe(
      'the first 1000 rows not stored, and why (rows count from 1: data rows of a file, items of a batch)',
    ),
  warningCount: z.int().describe('what was changed or left out of stored rows (a row may have several)'),
  warnings: z.array(z.object({ row: z.int(), warning: z.string() })).describe('the first 1000 warnings'),
  failure: nullableText,
  createdAt: timestamp,
  updatedAt: timestamp,
  createdBy: nullableText,
  bytesTotal: z.int().nullable().describe('size of the uploaded file; null for JSON batches'),
  bytesRead: z.int().describe('bytes of the file read so far: with bytesTotal, a progress percentage'),
});

const labelCounts = z.object({ negative: z.int(), neutral: z.int(), positive: z.int() });
const breakdown = z.object({
  key: nullableText,
  tickets: z.int(),
  avgScore: z.number().nullable(),
  negative: z.int(),
});

const overview = z.object({
  totals: z.object({ tickets: z.int(), comments: z.int() }),
  distribution: labelCounts.describe('comments by label'),
  ticketDistribution: labelCounts.describe('tickets by rolled-up label'),
  trends: z.object({ improving: z.int(), declining: z.int(), stable: z.int(), volatile: z.int() }),
  trendByDay: z.array(
    z.object({
      day: isoDay,
      comments: z.int(),
      avgScore: z.number().nullable(),
      negative: z.int(),
      neutral: z.int(),
      positive: z.int(),
    }),
  ),
  byPriority: z.array(breakdown),
  byStatus: z.array(breakdown),
  byAssignee: z.array(breakdown).describe('the 20 assignees with most tickets'),
  topNegative: z
    .array(
      z.object({
        id: z.string(),
        summary: z.string(),
        status: nullableText,
        priority: nullableText,
        assignee: nullableText,
        sentimentScore: z.number(),
        trend: trend.nullable(),
      }),
    )
    .describe('the 10 lowest-scored negative tickets'),
});

const anomalies = z.object({
  window: z.int(),
  threshold: z.number(),
  items: z.array(
    z.object({
      day: isoDay,
      avgScore: z.number(),
      comments: z.int(),
      trailingMean: z.number(),
      trailingStd: z.number(),
      z: z.number(),
      direction: z.enum(['negative', 'positive']),
    }),
  ),
});

const fragment = z.array(z.object({ text: z.string(), match: z.boolean() }));
const searchQuery = z.object({
  q: z.string().min(1).max(500),
  label: label.optional(),
  status: z.string().optional(),
  priority: z.string().optional(),
  assignee: z.string().optional(),
  from: isoDay.optional(),
  to: isoDay.optional(),
  limit: z.int().min(1).max(100).default(20),
  offset: z.int().min(0).default(0),
});
const searchResult = z.object({
  total: z.int(),
  backend: z.enum(['opensearch', 'postgres']),
  items: z.array(
    z.object({
      id: z.string(),
      summary: z.string(),
      status: nullableText,
      priority: nullableText,
      assignee: nullableText,
      sentimentScore: z.number().nullable(),
      sentimentLabel: label.nullable(),
      updatedAt: timestamp.nullable(),
      score: z.number(),
      highlights: z.array(
        z.object({ field: z.enum(['summary', 'description', 'comments']), fragments: z.array(fragment) }),
      ),
    }),
  ),
});

const citation = z.object({ id: z.string(), summary: z.string(), sentimentScore: z.number().nullable() });
const askAnswer = z.object({
  answer: z.string(),
  mode: z.enum(['llm', 'template']),
  provider: z.enum(['bedrock', 'self-hosted', 'none']),
  shape: z.enum(SHAPES).describe('which safe query shape was used'),
  statistics: z.record(z.string(), z.unknown()).describe('the numbers the answer used'),
  citations: z.array(citation),
  tickets: z.array(citation),
  warning: z
    .string()
    .optional()
    .describe(
      'why the answer is templated or incomplete (LLM, ML or search failed; unknown citations removed)',
    ),
});

const ticketInput = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/),
  summary: z.string().max(10_000).optional(),
  description: z.string().max(1_000_000).optional(),
  status: z.string().max(100).nullable().optional(),
  priority: z.string().max(100).nullable().optional(),
  assignee: z.string().max(200).nullable().optional(),
  createdAt: timestamp.nullable().optional(),
  updatedAt: timestamp.nullable().optional(),
  comments: z
    .array(z.object({ at: timestamp, author: z.string().max(200), text: z.string().min(1) }))
    .max(10_000)
    .optional(),
});

interface Operation {
  method: 'get' | 'post';
  path: string;
  summary: string;
  tag: string;
  /** Least role; null for the open routes. */
  role: Role | null;
  query?: z.ZodType;
  body?: { type: string; schema: Json; required?: boolean };
  ok: { status: number; description: string; content: Record<string, Json> };
  /** Error statuses beyond the auth ones every guarded route has. */
  errors?: Record<number, string>;
}

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output'): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io }) as Json;
  return rest;
};
const json = (s: z.ZodType) => ({ 'application/json': schema(s) });
const binary = (type: string) => ({ [type]: { type: 'string', contentMediaType: type } });
const tickets = { tag: 'tickets', role: 'viewer' } as const;

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: HEALTH_PATHS.live,
    summary: 'Liveness probe',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'alive', content: json(z.object({ status: z.literal('ok') })) },
  },
  {
    method: 'get',
    path: HEALTH_PATHS.ready,
    summary: 'Readiness: every dependency this process uses answers',
    tag: 'probes',
    role: null,
    ok: {
      status: 200,
      description: 'ready (503 with the same body when a check fails)',
      content: json(
        z.object({
          postgres: z.boolean(),
          queue: z.boolean(),
          search: z.boolean(),
          adapters: z.object({ queue: z.string(), search: z.string(), llm: z.string() }),
        }),
      ),
    },
    errors: { 503: 'a dependency is down' },
  },
  {
    method: 'get',
    path: METRICS_PATH,
    summary: 'Prometheus metrics',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'text exposition format', content: { 'text/plain': { type: 'string' } } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'OpenAPI 3.1', content: { 'application/json': { type: 'object' } } },
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Log in with a local account',
    tag: 'auth',
    role: null,
    body: {
      type: 'application/json',
      schema: schema(z.object({ email: z.email().max(320), password: z.string().min(1).max(1024) })),
      required: true,
    },
    ok: {
      status: 200,
      description: 'an access token',
      content: json(z.object({ token: z.string(), role: z.enum(['admin', 'analyst', 'viewer']) })),
    },
    errors: {
      400: 'invalid body',
      401: 'wrong email or password',
      429: 'too many attempts from this address, or on this account from this address',
      503: 'too many password checks at once (Retry-After: 1)',
    },
  },
  {
    method: 'get',
    path: '/v1/me',
    summary: 'The caller',
    tag: 'auth',
    role: 'viewer',
    ok: {
      status: 200,
      description: 'subject, role and platform',
      content: json(
        z.object({ subject: z.string(), role: z.enum(['admin', 'analyst', 'viewer']), platform: z.string() }),
      ),
    },
  },
  {
    method: 'get',
    path: '/v1/tickets',
    summary: 'List tickets',
    ...tickets,
    query: ticketQuery,
    ok: {
      status: 200,
      description: 'a page of tickets',
      content: json(z.object({ total: z.int(), items: z.array(ticketItem) })),
    },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/tickets/{id}',
    summary: 'One ticket with its comments and sentiment trajectory',
    ...tickets,
    ok: { status: 200, description: 'the ticket', content: json(ticketDetail) },
    errors: { 404: 'no such ticket' },
  },
  {
    method: 'get',
    path: '/v1/jobs',
    summary: 'Recent ingest jobs, newest first',
    tag: 'ingest',
    role: 'viewer',
    query: z.object({ limit: z.int().min(1).max(100).default(20) }),
    ok: { status: 200, description: 'jobs', content: json(z.object({ items: z.array(jobView) })) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    summary: 'One ingest job: state, progress, row errors and warnings',
    tag: 'ingest',
    role: 'viewer',
    ok: { status: 200, description: 'the job', content: json(jobView) },
    errors: { 404: 'no such job' },
  },
  {
    method: 'post',
    path: '/v1/ingest/csv',
    summary: 'Upload a Jira CSV export; it is processed as a queued job',
    tag: 'ingest',
    role: 'analyst',
    body: {
      type: 'multipart/form-data',
      required: true,
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          mapping: {
            type: 'string',
            contentMediaType: 'application/json',
            description: 'partial column mapping (JSON), sent before the file',
          },
          charset: {
            type: 'string',
            enum: ['utf-8', 'latin1'],
            description: 'sent before the file; sniffed when absent',
          },
          file: {
            type: 'string',
            contentMediaType: 'text/csv',
            description: 'the export, at most MAX_UPLOAD_BYTES',
          },
        },
      },
    },
    ok: { status: 202, description: 'the queued job', content: json(jobView) },
    errors: {
      400: 'no file, an empty file, or a bad mapping or charset',
      413: 'file too large',
      415: 'not multipart/form-data',
      429: "the tenant's uploads waiting for their jobs would exceed UPLOAD_QUOTA_BYTES; nothing of this one is kept",
      503: 'the job queue is unavailable (the upload is discarded); retry',
    },
  },
  {
    method: 'post',
    path: '/v1/ingest/json',
    summary: 'Score and store a batch of tickets now',
    tag: 'ingest',
    role: 'analyst',
    body: {
      type: 'application/json',
      schema: schema(z.object({ tickets: z.array(ticketInput).min(1).max(1000) }), 'input'),
      required: true,
    },
    ok: { status: 201, description: 'the completed job, with per-item errors', content: json(jobView) },
    errors: { 400: 'invalid body' },
  },
  {
    method: 'get',
    path: '/v1/dashboard/overview',
    summary:
      'Dashboard figures. A range bounds comment created_at in UTC days: comment figures count the comments in it, ticket figures the tickets whose latest comment is in it (without a range, every ticket)',
    tag: 'dashboard',
    role: 'viewer',
    query: rangeQuery,
    ok: { status: 200, description: 'the overview', content: json(overview) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/dashboard/anomalies',
    summary:
      'Days whose mean comment score departs from the trailing baseline (days with under 5 scored comments are not flagged)',
    tag: 'dashboard',
    role: 'viewer',
    query: anomalyQuery,
    ok: { status: 200, description: 'flagged days', content: json(anomalies) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/search',
    summary: 'Full-text search over tickets and comments, with highlights',
    tag: 'search',
    role: 'viewer',
    query: searchQuery,
    ok: { status: 200, description: 'hits', content: json(searchResult) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'post',
    path: '/v1/ask',
    summary: 'Answer a question about the tickets from a safe query shape, with citations',
    tag: 'ask',
    role: 'viewer',
    body: {
      type: 'application/json',
      schema: schema(askBody),
      required: true,
    },
    ok: { status: 200, description: 'the answer', content: json(askAnswer) },
    errors: { 400: 'invalid question', 429: 'over the per-user question budget (see Retry-After)' },
  },
  {
    method: 'get',
    path: '/v1/reports/summary.csv',
    summary:
      'One row per ticket with its roll-up (with a range: the tickets whose latest comment is in it), as a CSV attachment',
    tag: 'reports',
    role: 'viewer',
    query: rangeQuery,
    ok: {
      status: 200,
      description: 'CSV (RFC 4180; text cells that start like a formula are prefixed with an apostrophe)',
      content: { 'text/csv': { type: 'string' } },
    },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/reports/summary.pdf',
    summary: 'Overview numbers and the most negative tickets, as a PDF attachment',
    tag: 'reports',
    role: 'viewer',
    query: rangeQuery,
    ok: { status: 200, description: 'PDF', content: binary('application/pdf') },
    errors: { 400: 'invalid query' },
  },
];

function parameters(op: Operation): Json[] {
  const fromPath = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (!op.query) return fromPath;
  const s = schema(op.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
  const fromQuery = Object.entries(s.properties ?? {}).map(([name, { description, ...prop }]) => ({
    name,
    in: 'query',
    required: s.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema: prop,
  }));
  return [...fromPath, ...fromQuery];
}

function operation(op: Operation): Json {
  const responses: Json = {
    [op.ok.status]: {
      description: op.ok.description,
      content: Object.fromEntries(Object.entries(op.ok.content).map(([type, s]) => [type, { schema: s }])),
    },
  };
  const errors: Record<number, string> = op.role
    ? { 401: 'missing or invalid token', 403: `requires role ${op.role}`, ...op.errors }
    : { ...op.errors };
  for (const [status, description] of Object.entries(errors)) {
    responses[status] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    summary: op.summary,
    description: op.role
      ? `Requires role ${op.role} or higher (viewer < analyst < admin).`
      : 'Open: no token needed.',
    tags: [op.tag],
    'x-required-role': op.role,
    security: op.role ? [{ bearerAuth: [] }] : [],
    parameters: parameters(op),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? false,
            content: { [op.body.type]: { schema: op.body.schema } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(platform: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Support sentiment analytics API',
      version: '1',
      description: `The API of platform "${platform}". Send \`Authorization: Bearer <token>\` (from /v1/auth/login or the identity provider). Errors are {"error": message}.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schema(errorBody) },
    },
    paths,
  };
}
