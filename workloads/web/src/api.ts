// Typed client for the API contract. Every call carries the session's bearer token; a 401 ends the
// session (the token expired or was revoked) and sends the user back to the login page.
import type { components, operations } from './api-types.gen';
import { clearSession, getApiBase, getToken } from './session';

// The API's shapes come from its OpenAPI document (api-types.gen.ts, generated from the API's route
// schemas: `npm run generate -w workloads/api -w workloads/web`); only the names the pages use are here.
type Schemas = components['schemas'];
type Responses<Op extends keyof operations> = operations[Op]['responses'];
/** The JSON body of an operation's success answer. */
type Ok<Op extends keyof operations> = {
  [S in keyof Responses<Op>]: S extends 200 | 201 | 202
    ? Responses<Op>[S] extends { content: { 'application/json': infer Body } }
      ? Body
      : never
    : never;
}[keyof Responses<Op>];

export type Role = Schemas['Role'];
export type Label = Schemas['Label'];
export type Trend = Schemas['Trend'];
export type TicketDetail = Schemas['TicketDetail'];
export type TicketQuery = NonNullable<operations['listTickets']['parameters']['query']>;
export type JobView = Schemas['JobView'];
/** One group of a breakdown; `key` is null for the tickets without a value. */
export type GroupStat = Schemas['Breakdown'];
export type Overview = Schemas['Overview'];
export type Anomaly = Schemas['Anomaly'];
export type Segment = Schemas['Fragment'][number];
export type AskAnswer = Schemas['AskAnswer'];
/** Column names of the Jira export, when they differ from Jira's English defaults. */
export type ColumnMapping = Schemas['ColumnMapping'];
export type Charset = NonNullable<
  operations['uploadCsv']['requestBody']
>['content']['multipart/form-data']['charset'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** The app decides what "back to login" means; the client only reports it. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Params = Record<string, string | number | undefined>;

function withQuery(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** `path` on the session's API (`base` before there is a session: the login). */
async function send(path: string, init: RequestInit = {}, base = getApiBase()): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token) headers.set('authorization', `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(base + path, { ...init, headers });
  } catch {
    // The browser tells a script no more than this: unreachable, or an origin the API does not allow.
    throw new ApiError(0, `could not reach the API${base ? ` at ${base}` : ''}`);
  }
  if (res.ok) return res;
  const message = await res
    .json()
    .then((b: { error?: string }) => b.error ?? res.statusText)
    .catch(() => res.statusText);
  if (res.status === 401 && token) {
    clearSession();
    onUnauthorized();
  }
  throw new ApiError(res.status, message || `HTTP ${res.status}`);
}

async function json<T>(path: string, init: RequestInit = {}, base?: string): Promise<T> {
  const res = await send(path, init, base);
  // A static host answers any path with the app's own page: that is a wrong address, not an API.
  if (!res.headers.get('content-type')?.includes('application/json'))
    throw new ApiError(res.status, `no sentiment API answered at ${base || getApiBase() || location.origin}`);
  return res.json() as Promise<T>;
}

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const api = {
  /**
   * Signing in replaces any stored session (a stale token would be rejected before the login itself).
   * `base` is the API to sign in to ('' = this page's origin); the session keeps it.
   */
  login: (base: string, email: string, password: string) => {
    clearSession();
    return json<Ok<'login'>>('/v1/auth/login', post({ email, password }), base);
  },
  me: () => json<Ok<'me'>>('/v1/me'),
  tickets: (q: TicketQuery) => json<Ok<'listTickets'>>(withQuery('/v1/tickets', { ...q })),
  ticket: (id: string) => json<Ok<'getTicket'>>(`/v1/tickets/${encodeURIComponent(id)}`),
  jobs: (limit = 20) => json<Ok<'listJobs'>>(withQuery('/v1/jobs', { limit })),
  job: (id: string) => json<Ok<'getJob'>>(`/v1/jobs/${encodeURIComponent(id)}`),
  overview: (from?: string, to?: string) =>
    json<Ok<'overview'>>(withQuery('/v1/dashboard/overview', { from, to })),
  anomalies: (from?: string, to?: string) =>
    json<Ok<'anomalies'>>(withQuery('/v1/dashboard/anomalies', { from, to })),
  search: (q: string, limit: number, offset: number) =>
    json<Ok<'search'>>(withQuery('/v1/search', { q, limit, offset })),
  ask: (question: string) => json<Ok<'ask'>>('/v1/ask', post({ question })),
  /** Multipart order matters: the server reads `mapping` and `charset` before it streams `file`. */
  uploadCsv: (file: File, mapping: Partial<ColumnMapping>, charset?: Charset) => {
    const form = new FormData();
    if (Object.keys(mapping).length > 0) form.append('mapping', JSON.stringify(mapping));
    if (charset) form.append('charset', charset);
    form.append('file', file, file.name);
    return json<Ok<'uploadCsv'>>('/v1/ingest/csv', { method: 'POST', body: form });
  },
  /** Reports need the bearer token, so they are fetched and handed to the browser as a blob. */
  report: async (kind: 'csv' | 'pdf', from?: string, to?: string) =>
    (await send(withQuery(`/v1/reports/summary.${kind}`, { from, to }))).blob(),
};
