// Typed client for the API contract. Every call carries the session's bearer token; a 401 ends the
// session (the token expired or was revoked) and sends the user back to the login page.
import { clearSession, getApiBase, getToken } from './session';

export type Role = 'viewer' | 'analyst' | 'admin';
export type Label = 'negative' | 'neutral' | 'positive';
export type Trend = 'improving' | 'declining' | 'stable' | 'volatile';
export type JobState = 'queued' | 'running' | 'completed' | 'failed';

export interface Me {
  subject: string;
  role: Role;
  platform: string;
}

export interface TicketRow {
  id: string;
  summary: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  created_at: string | null;
  updated_at: string | null;
  sentiment_score: number | null;
  sentiment_label: Label | null;
  trend: Trend | null;
}

export interface TicketComment {
  seq: number;
  author: string;
  created_at: string;
  body: string;
  label: Label;
  score: number;
  probabilities: Record<Label, number>;
}

export interface TicketDetail extends TicketRow {
  description: string;
  comments: TicketComment[];
  trajectory: { seq: number; at: string; score: number; rolling: number }[];
}

export interface TicketQuery {
  status?: string;
  priority?: string;
  assignee?: string;
  label?: Label;
  trend?: Trend;
  sort?: 'score' | 'updated' | 'id';
  limit?: number;
  offset?: number;
}

export interface JobView {
  id: string;
  kind: 'csv' | 'json';
  state: JobState;
  source: string;
  rowsRead: number;
  rowsScored: number;
  rowsIndexed: number;
  checkpoint: number;
  errorCount: number;
  errors: { row: number; error: string }[];
  warningCount: number;
  warnings: { row: number; warning: string }[];
  failure: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  bytesTotal?: number | null;
  bytesRead?: number | null;
}

export interface GroupStat {
  key: string;
  tickets: number;
  avgScore: number | null;
  negative: number;
}

export interface Overview {
  totals: { tickets: number; comments: number };
  distribution: Record<Label, number>;
  ticketDistribution: Record<Label, number>;
  trends: Record<Trend, number>;
  trendByDay: {
    day: string;
    comments: number;
    avgScore: number | null;
    negative: number;
    neutral: number;
    positive: number;
  }[];
  byPriority: GroupStat[];
  byStatus: GroupStat[];
  byAssignee: GroupStat[];
  topNegative: {
    id: string;
    summary: string;
    status: string | null;
    priority: string | null;
    assignee: string | null;
    sentimentScore: number | null;
    trend: Trend | null;
  }[];
}

export interface Anomaly {
  day: string;
  avgScore: number;
  comments: number;
  trailingMean: number;
  trailingStd: number;
  z: number;
  direction: 'negative' | 'positive';
}

export interface Segment {
  text: string;
  match: boolean;
}

export interface SearchHit {
  id: string;
  summary: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  sentimentScore: number | null;
  sentimentLabel: Label | null;
  updatedAt: string | null;
  score: number;
  highlights: { field: 'summary' | 'description' | 'comments'; fragments: Segment[][] }[];
}

export interface Citation {
  id: string;
  summary: string;
  sentimentScore: number | null;
}

export interface AskAnswer {
  answer: string;
  mode: 'llm' | 'template';
  provider: 'bedrock' | 'self-hosted' | 'none';
  shape: string;
  statistics: Record<string, unknown>;
  citations: Citation[];
  tickets: Citation[];
}

/** Column names of the Jira export, when they differ from Jira's English defaults. */
export interface ColumnMapping {
  id: string;
  summary: string;
  description: string;
  status: string;
  priority: string;
  assignee: string;
  created: string;
  updated: string;
  commentPrefix: string;
}

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
    return json<{ token: string; role: Role }>('/v1/auth/login', post({ email, password }), base);
  },
  me: () => json<Me>('/v1/me'),
  tickets: (q: TicketQuery) =>
    json<{ total: number; items: TicketRow[] }>(withQuery('/v1/tickets', { ...q })),
  ticket: (id: string) => json<TicketDetail>(`/v1/tickets/${encodeURIComponent(id)}`),
  jobs: (limit = 20) => json<{ items: JobView[] }>(withQuery('/v1/jobs', { limit })),
  job: (id: string) => json<JobView>(`/v1/jobs/${encodeURIComponent(id)}`),
  overview: (from?: string, to?: string) => json<Overview>(withQuery('/v1/dashboard/overview', { from, to })),
  anomalies: (from?: string, to?: string) =>
    json<{ window: number; threshold: number; items: Anomaly[] }>(
      withQuery('/v1/dashboard/anomalies', { from, to }),
    ),
  search: (q: string, limit: number, offset: number) =>
    json<{ total: number; backend: string; items: SearchHit[] }>(
      withQuery('/v1/search', { q, limit, offset }),
    ),
  ask: (question: string) => json<AskAnswer>('/v1/ask', post({ question })),
  /** Multipart order matters: the server reads `mapping` and `charset` before it streams `file`. */
  uploadCsv: (file: File, mapping: Partial<ColumnMapping>, charset?: 'utf-8' | 'latin1') => {
    const form = new FormData();
    if (Object.keys(mapping).length > 0) form.append('mapping', JSON.stringify(mapping));
    if (charset) form.append('charset', charset);
    form.append('file', file, file.name);
    return json<JobView>('/v1/ingest/csv', { method: 'POST', body: form });
  },
  /** Reports need the bearer token, so they are fetched and handed to the browser as a blob. */
  report: async (kind: 'csv' | 'pdf', from?: string, to?: string) =>
    (await send(withQuery(`/v1/reports/summary.${kind}`, { from, to }))).blob(),
};
