// Dashboard queries over the roll-ups (store/rollups.ts). A range bounds comment created_at by whole
// UTC days: comment figures count the comments created in it; ticket figures count the tickets whose
// latest comment was (their rolled-up score is the mood as of that comment). Without a range, every
// ticket counts, those without comments too.
import type { Anomaly, Overview } from '../routes/dashboard.js';
import type { Label } from '../routes/wire.js';
import type { Db } from './db.js';

/** Inclusive UTC days, YYYY-MM-DD. */
export interface DayRange {
  from?: string | undefined;
  to?: string | undefined;
}

// The wire shapes are the route's schemas (routes/dashboard.ts).
type DayPoint = Overview['trendByDay'][number];
type Breakdown = Overview['byPriority'][number];
type NegativeTicket = Overview['topNegative'][number];
export type { Anomaly, Overview };

/** Days with fewer scored comments than this are too noisy to flag or to serve as a baseline. */
const MIN_DAY_COMMENTS = 5;
/** A baseline needs this many qualifying days in the trailing window. */
const MIN_BASELINE_DAYS = 3;
/**
 * A flagged day also moves at least this far from the baseline's mean (score, −1..1): over calm days whose
 * means barely differ, σ is tiny and a few hundredths of a point would otherwise read as a swing.
 */
export const MIN_SWING = 0.1;
const TOP_ASSIGNEES = 20;
const TOP_NEGATIVE = 10;

const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The tickets-in-scope condition on alias `t`, its parameters appended to `params` (half-open, for the index). */
function ticketScope(range: DayRange, params: unknown[]): string {
  if (!range.from && !range.to) return 'TRUE';
  params.push(
    range.from ? `${range.from}T00:00:00Z` : null,
    range.to ? `${nextDay(range.to)}T00:00:00Z` : null,
  );
  const [a, b] = [params.length - 1, params.length];
  return `($${a}::timestamptz IS NULL OR t.last_comment_at >= $${a}::timestamptz)
          AND ($${b}::timestamptz IS NULL OR t.last_comment_at < $${b}::timestamptz)`;
}

async function days(db: Pick<Db, 'query'>, range: DayRange): Promise<DayPoint[]> {
  return (
    await db.query<DayPoint>(
      `SELECT day::text AS day, comments, (score_sum / NULLIF(scored, 0))::float8 AS "avgScore", negative, neutral, positive
       FROM comment_days
       WHERE comments > 0 AND ($1::date IS NULL OR day >= $1::date) AND ($2::date IS NULL OR day <= $2::date)
       ORDER BY day`,
      [range.from ?? null, range.to ?? null],
    )
  ).rows;
}

type FacetRow = {
  dim: 'label' | 'trend' | 'priority' | 'status' | 'assignee';
  key: string | null;
  tickets: number;
  avg: number | null;
  negative: number;
};

async function facets(db: Pick<Db, 'query'>, range: DayRange): Promise<FacetRow[]> {
  const bounded = Boolean(range.from || range.to);
  return (
    await db.query<FacetRow>(
      `SELECT dim, key, sum(tickets)::int AS tickets, (sum(score_sum) / NULLIF(sum(scored), 0))::float8 AS avg,
              sum(negative)::int AS negative
       FROM ticket_facets
       WHERE NOT $1::boolean OR (day >= COALESCE($2::date, '-infinity') AND day <= COALESCE($3::date, 'infinity'))
       GROUP BY dim, key HAVING sum(tickets) > 0`,
      [bounded, range.from ?? null, range.to ?? null],
    )
  ).rows;
}

async function topNegative(db: Pick<Db, 'query'>, range: DayRange): Promise<NegativeTicket[]> {
  const params: unknown[] = [];
  const scope = ticketScope(range, params);
  params.push(TOP_NEGATIVE);
  return (
    await db.query<NegativeTicket>(
      `SELECT id, summary, status, priority, assignee, sentiment_score::float8 AS "sentimentScore", trend
       FROM tickets t WHERE sentiment_label = 'negative' AND sentiment_score IS NOT NULL AND ${scope}
       ORDER BY sentiment_score, id LIMIT $${params.length}`,
      params,
    )
  ).rows;
}

const byTickets = (a: Breakdown, b: Breakdown) =>
  b.tickets - a.tickets || String(a.key).localeCompare(String(b.key));

export async function overview(db: Pick<Db, 'query'>, range: DayRange): Promise<Overview> {
  const [trendByDay, facetRows, negative] = await Promise.all([
    days(db, range),
    facets(db, range),
    topNegative(db, range),
  ]);
  const sum = (k: 'comments' | Label) => trendByDay.reduce((acc, d) => acc + d[k], 0);
  const dim = (d: FacetRow['dim']) =>
    facetRows
      .filter((r) => r.dim === d)
      .map((r): Breakdown => ({ key: r.key, tickets: r.tickets, avgScore: r.avg, negative: r.negative }))
      .sort(byTickets);
  const count = (d: FacetRow['dim'], key: string) =>
    facetRows.find((r) => r.dim === d && r.key === key)?.tickets ?? 0;
  return {
    totals: { tickets: dim('label').reduce((acc, r) => acc + r.tickets, 0), comments: sum('comments') },
    distribution: { negative: sum('negative'), neutral: sum('neutral'), positive: sum('positive') },
    ticketDistribution: {
      negative: count('label', 'negative'),
      neutral: count('label', 'neutral'),
      positive: count('label', 'positive'),
    },
    trends: {
      improving: count('trend', 'improving'),
      declining: count('trend', 'declining'),
      stable: count('trend', 'stable'),
      volatile: count('trend', 'volatile'),
    },
    trendByDay,
    byPriority: dim('priority'),
    byStatus: dim('status'),
    byAssignee: dim('assignee').slice(0, TOP_ASSIGNEES),
    topNegative: negative,
  };
}

export interface AnomalyQuery extends DayRange {
  window: number;
  threshold: number;
}

/**
 * Days whose mean comment score sits at least `threshold` standard deviations, and at least MIN_SWING,
 * from the mean of the daily means over the previous `window` calendar days (days too small to count are
 * left out of both).
 */
export async function anomalies(db: Pick<Db, 'query'>, q: AnomalyQuery): Promise<Anomaly[]> {
  return (
    await db.query<Anomaly>(
      `WITH daily AS (
         SELECT day, comments, (score_sum / scored)::float8 AS avg_score FROM comment_days
         WHERE scored >= $3 AND ($5::date IS NULL OR day >= $5::date - $1::int) AND ($6::date IS NULL OR day <= $6::date)
       ), baseline AS (
         SELECT day, comments, avg_score, count(*) OVER w AS days, avg(avg_score) OVER w AS mean, stddev_samp(avg_score) OVER w AS std
         FROM daily
         WINDOW w AS (ORDER BY day RANGE BETWEEN make_interval(days => $1::int) PRECEDING AND '1 day'::interval PRECEDING)
       )
       SELECT day::text AS day, avg_score AS "avgScore", comments, mean AS "trailingMean", std AS "trailingStd",
              (avg_score - mean) / std AS z,
              CASE WHEN avg_score < mean THEN 'negative' ELSE 'positive' END AS direction
       FROM baseline
       WHERE days >= $4 AND std > 1e-9 AND abs(avg_score - mean) >= $2::float8 * std
         AND abs(avg_score - mean) >= $7::float8
         AND ($5::date IS NULL OR day >= $5::date)
       ORDER BY day`,
      [q.window, q.threshold, MIN_DAY_COMMENTS, MIN_BASELINE_DAYS, q.from ?? null, q.to ?? null, MIN_SWING],
    )
  ).rows;
}

export interface ReportRow {
  id: string;
  summary: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  sentiment_score: number | null;
  sentiment_label: string | null;
  trend: string | null;
  comments: number;
}

/** Every ticket in scope with its roll-up, by id, a page at a time (keyset) so a report can stream. */
export async function* reportRows(
  db: Pick<Db, 'query'>,
  range: DayRange,
  pageSize = 1000,
): AsyncGenerator<ReportRow> {
  let after = '';
  for (;;) {
    const params: unknown[] = [after, pageSize];
    const scope = ticketScope(range, params);
    const page = (
      await db.query<ReportRow>(
        `SELECT id, summary, status, priority, assignee, created_at, updated_at, sentiment_score::float8 AS sentiment_score,
                sentiment_label, trend, (SELECT count(*)::int FROM comments k WHERE k.ticket_id = t.id) AS comments
         FROM tickets t WHERE id > $1 AND ${scope} ORDER BY id LIMIT $2`,
        params,
      )
    ).rows;
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}
