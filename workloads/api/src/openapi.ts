// The OpenAPI 3.1 document of every route, rendered from the routes' own zod schemas, requests and
// responses alike: served at /openapi.json (routes/openapi.ts) and written to openapi.json by
// `npm run generate`, from which the dashboard's types are generated. Only what zod does not know is
// here: paths, summaries, least roles and error statuses. test/openapi.test.ts fails on a mounted route
// missing here; test/generated-files.test.ts on a stale openapi.json.
//
// Rendered by zod-openapi rather than @asteasolutions/zod-to-openapi: it is built on zod 4's own
// z.toJSONSchema and reads zod's native .meta() (no prototype patching, no registry beside the schemas),
// has no dependencies, and renders requests as input (coerced and defaulted query values) and responses
// as output. A schema with `meta({ id })` becomes a named component.
import { HEALTH_PATHS, METRICS_PATH } from '@sentiment/crds';
import type { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { Role } from './auth/tokens.js';
import { mappingSchema } from './ingest/csv-options.js';
import { askAnswer, askBody } from './routes/ask.js';
import { loginBody, loginResponse, meResponse } from './routes/auth.js';
import { anomaliesResponse, anomalyQuery, overviewResponse, rangeQuery } from './routes/dashboard.js';
import { liveResponse, readyResponse } from './routes/health.js';
import { csvUploadForm, ingestJsonBodyDocumented } from './routes/ingest.js';
import { jobList, jobListQuery, jobPath, jobView } from './routes/jobs.js';
import { searchQuery, searchResponse } from './routes/search.js';
import { ticketDetail, ticketPage, ticketPath, ticketQuery } from './routes/tickets.js';
import { errorBody } from './routes/wire.js';

type Schema = z.ZodType | Record<string, unknown>;

interface Operation {
  method: 'get' | 'post';
  path: string;
  /** operationId: the generated client types name operations by it. */
  id: string;
  summary: string;
  tag: string;
  /** Least role; null for the open routes. */
  role: Role | null;
  params?: { path?: z.ZodObject; query?: z.ZodType<unknown, Record<string, unknown>> };
  body?: { type: string; schema: z.ZodType };
  ok: { status: number; description: string; content: Record<string, Schema> };
  /** Error statuses beyond the auth ones every guarded route has. */
  errors?: Record<number, string>;
}

const json = (schema: z.ZodType) => ({ 'application/json': schema });
const tickets = { tag: 'tickets', role: 'viewer' } as const;

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: HEALTH_PATHS.live,
    id: 'live',
    summary: 'Liveness probe',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'alive', content: json(liveResponse) },
  },
  {
    method: 'get',
    path: HEALTH_PATHS.ready,
    id: 'ready',
    summary: 'Readiness: every dependency this process uses answers',
    tag: 'probes',
    role: null,
    ok: {
      status: 200,
      description: 'ready (503 with the same body when a check fails)',
      content: json(readyResponse),
    },
    errors: { 503: 'a dependency is down, or the process is shutting down' },
  },
  {
    method: 'get',
    path: METRICS_PATH,
    id: 'metrics',
    summary: 'Prometheus metrics',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'text exposition format', content: { 'text/plain': { type: 'string' } } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    id: 'openapi',
    summary: 'This document',
    tag: 'probes',
    role: null,
    ok: { status: 200, description: 'OpenAPI 3.1', content: { 'application/json': { type: 'object' } } },
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    id: 'login',
    summary: 'Log in with a local account',
    tag: 'auth',
    role: null,
    body: { type: 'application/json', schema: loginBody },
    ok: { status: 200, description: 'an access token', content: json(loginResponse) },
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
    id: 'me',
    summary: 'The caller',
    tag: 'auth',
    role: 'viewer',
    ok: { status: 200, description: 'subject, role and platform', content: json(meResponse) },
  },
  {
    method: 'get',
    path: '/v1/tickets',
    id: 'listTickets',
    summary: 'List tickets',
    ...tickets,
    params: { query: ticketQuery },
    ok: { status: 200, description: 'a page of tickets', content: json(ticketPage) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/tickets/{id}',
    id: 'getTicket',
    summary: 'One ticket with its comments and sentiment trajectory',
    ...tickets,
    params: { path: ticketPath },
    ok: { status: 200, description: 'the ticket', content: json(ticketDetail) },
    errors: { 404: 'no such ticket' },
  },
  {
    method: 'get',
    path: '/v1/jobs',
    id: 'listJobs',
    summary: 'Recent ingest jobs, newest first',
    tag: 'ingest',
    role: 'viewer',
    params: { query: jobListQuery },
    ok: { status: 200, description: 'jobs', content: json(jobList) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    id: 'getJob',
    summary: 'One ingest job: state, progress, row errors and warnings',
    tag: 'ingest',
    role: 'viewer',
    params: { path: jobPath },
    ok: { status: 200, description: 'the job', content: json(jobView) },
    errors: { 404: 'no such job' },
  },
  {
    method: 'post',
    path: '/v1/ingest/csv',
    id: 'uploadCsv',
    summary: 'Upload a Jira CSV export; it is processed as a queued job',
    tag: 'ingest',
    role: 'analyst',
    body: { type: 'multipart/form-data', schema: csvUploadForm },
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
    id: 'ingestJson',
    summary: 'Score and store a batch of tickets now',
    tag: 'ingest',
    role: 'analyst',
    body: { type: 'application/json', schema: ingestJsonBodyDocumented },
    ok: { status: 201, description: 'the completed job, with per-item errors', content: json(jobView) },
    errors: { 400: 'invalid body' },
  },
  {
    method: 'get',
    path: '/v1/dashboard/overview',
    id: 'overview',
    summary:
      'Dashboard figures. A range bounds comment created_at in UTC days: comment figures count the comments in it, ticket figures the tickets whose latest comment is in it (without a range, every ticket)',
    tag: 'dashboard',
    role: 'viewer',
    params: { query: rangeQuery },
    ok: { status: 200, description: 'the overview', content: json(overviewResponse) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/dashboard/anomalies',
    id: 'anomalies',
    summary:
      'Days whose mean comment score departs from the trailing baseline (days with under 5 scored comments are not flagged)',
    tag: 'dashboard',
    role: 'viewer',
    params: { query: anomalyQuery },
    ok: { status: 200, description: 'flagged days', content: json(anomaliesResponse) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'get',
    path: '/v1/search',
    id: 'search',
    summary: 'Full-text search over tickets and comments, with highlights',
    tag: 'search',
    role: 'viewer',
    params: { query: searchQuery },
    ok: { status: 200, description: 'hits', content: json(searchResponse) },
    errors: { 400: 'invalid query' },
  },
  {
    method: 'post',
    path: '/v1/ask',
    id: 'ask',
    summary: 'Answer a question about the tickets from a safe query shape, with citations',
    tag: 'ask',
    role: 'viewer',
    body: { type: 'application/json', schema: askBody },
    ok: { status: 200, description: 'the answer', content: json(askAnswer) },
    errors: { 400: 'invalid question', 429: 'over the per-user question budget (see Retry-After)' },
  },
  {
    method: 'get',
    path: '/v1/reports/summary.csv',
    id: 'reportCsv',
    summary:
      'One row per ticket with its roll-up (with a range: the tickets whose latest comment is in it), as a CSV attachment',
    tag: 'reports',
    role: 'viewer',
    params: { query: rangeQuery },
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
    id: 'reportPdf',
    summary: 'Overview numbers and the most negative tickets, as a PDF attachment',
    tag: 'reports',
    role: 'viewer',
    params: { query: rangeQuery },
    ok: {
      status: 200,
      description: 'PDF',
      content: { 'application/pdf': { type: 'string', contentMediaType: 'application/pdf' } },
    },
    errors: { 400: 'invalid query' },
  },
];

function operation(op: Operation): ZodOpenApiOperationObject {
  const errors: Record<number, string> = op.role
    ? { 401: 'missing or invalid token', 403: `requires role ${op.role}`, ...op.errors }
    : { ...op.errors };
  return {
    operationId: op.id,
    summary: op.summary,
    description: op.role
      ? `Requires role ${op.role} or higher (viewer < analyst < admin).`
      : 'Open: no token needed.',
    tags: [op.tag],
    'x-required-role': op.role,
    security: op.role ? [{ bearerAuth: [] }] : [],
    ...(op.params ? { requestParams: op.params } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { [op.body.type]: { schema: op.body.schema } } } }
      : {}),
    responses: {
      [op.ok.status]: {
        description: op.ok.description,
        content: Object.fromEntries(
          Object.entries(op.ok.content).map(([type, schema]) => [type, { schema }]),
        ),
      },
      ...Object.fromEntries(
        Object.entries(errors).map(([status, description]) => [
          status,
          { description, content: { 'application/json': { schema: errorBody } } },
        ]),
      ),
    },
  };
}

/** The document; the same for every tenant (GET /v1/me names the platform). */
export function openApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Support sentiment analytics API',
      version: '1',
      description:
        'The API of one platform (tenant). Send `Authorization: Bearer <token>` (from /v1/auth/login or the identity provider). Errors are {"error": message}.',
    },
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      // The upload's `mapping` field is this as JSON (a partial one), which a form field cannot say.
      schemas: { ColumnMapping: mappingSchema },
    },
    paths,
  });
}
