// The SQL behind each shape: written here, parameterized, the same on node-postgres and PGlite.
// Periods bound comment created_at; a ticket is "active" in a period when one of its comments falls
// in it, and is described by its current roll-up (score, label, trend).
import type { Db } from '../store/db.js';
import { describePeriod, type Period } from './period.js';
import type { Dimension, ShapeChoice } from './shapes.js';

type Q = Pick<Db, 'query'>;

export interface ShapeResult {
  statistics: Record<string, unknown>;
  /** Tickets the statistics single out (most negative, examples); retrieval adds to these. */
  ticketIds: string[];
}

/** Tickets a shape lists as examples. */
const EXAMPLES = 5;
const MAX_BUCKETS = 60;
const MAX_GROUPS = 20;

// The only identifiers that vary: picked from this map by an enum, never from input text.
const DIMENSION_COLUMNS: Record<Dimension, string> = {
  priority: 't.priority',
  status: 't.status',
  assignee: 't.assignee',
};

// $1/$2 are always the period bounds (both null for all data).
const COMMENT_IN_PERIOD =
  '($1::timestamptz IS NULL OR (c.created_at >= $1::timestamptz AND c.created_at < $2::timestamptz))';
const TICKET_ACTIVE = `($1::timestamptz IS NULL OR EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = t.id
  AND c.created_at >= $1::timestamptz AND c.created_at < $2::timestamptz))`;

const bounds = (p: Period | null) => [p?.from.toISOString() ?? null, p?.to.toISOString() ?? null];
const round = (x: number | null | undefined) =>
  x === null || x === undefined ? null : Math.round(x * 1000) / 1000;
const share = (part: number, whole: number) => (whole === 0 ? null : round(part / whole));

interface ExampleRow {
  id: string;
  sentiment_score: number;
}
const examples = (rows: ExampleRow[]) =>
  rows.map((r) => ({ id: r.id, sentimentScore: round(r.sentiment_score) }));

async function commentStats(db: Q, p: Period | null) {
  const [r] = (
    await db.query<{
      comments: number;
      tickets: number;
      negative: number;
      neutral: number;
      positive: number;
      avg: number | null;
    }>(
      `SELECT count(*)::int AS comments, count(DISTINCT c.ticket_id)::int AS tickets,
              count(*) FILTER (WHERE c.label = 'negative')::int AS negative,
              count(*) FILTER (WHERE c.label = 'neutral')::int AS neutral,
              count(*) FILTER (WHERE c.label = 'positive')::int AS positive,
              avg(c.score)::float8 AS avg
       FROM comments c WHERE ${COMMENT_IN_PERIOD}`,
      bounds(p),
    )
  ).rows;
  const row = r!;
  return {
    period: describePeriod(p),
    comments: row.comments,
    ticketsWithComments: row.tickets,
    commentsByLabel: { negative: row.negative, neutral: row.neutral, positive: row.positive },
    negativeShare: share(row.negative, row.comments),
    averageCommentScore: round(row.avg),
  };
}

async function ticketLabels(db: Q, p: Period | null) {
  const rows = (
    await db.query<{ label: string; n: number }>(
      `SELECT t.sentiment_label AS label, count(*)::int AS n FROM tickets t
       WHERE t.sentiment_label IS NOT NULL AND ${TICKET_ACTIVE} GROUP BY 1`,
      bounds(p),
    )
  ).rows;
  const by = { negative: 0, neutral: 0, positive: 0 };
  for (const r of rows) if (r.label in by) by[r.label as keyof typeof by] = r.n;
  return by;
}

async function distribution(db: Q, p: Period | null): Promise<ShapeResult> {
  return {
    statistics: { ...(await commentStats(db, p)), ticketsByCurrentLabel: await ticketLabels(db, p) },
    ticketIds: [],
  };
}

async function trendOverTime(db: Q, p: Period | null, granularity: 'day' | 'week'): Promise<ShapeResult> {
  // date_trunc takes the unit as a value, so even the enum is a bound parameter.
  const rows = (
    await db.query<{ start: string; comments: number; avg: number; negative: number }>(
      `SELECT to_char(date_trunc($3, c.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS start, count(*)::int AS comments,
              avg(c.score)::float8 AS avg, count(*) FILTER (WHERE c.label = 'negative')::int AS negative
       FROM comments c WHERE ${COMMENT_IN_PERIOD} GROUP BY 1 ORDER BY 1 DESC LIMIT $4`,
      [...bounds(p), granularity, MAX_BUCKETS + 1],
    )
  ).rows;
  const buckets = rows
    .slice(0, MAX_BUCKETS)
    .reverse()
    .map((r) => ({ start: r.start, comments: r.comments, averageScore: round(r.avg), negative: r.negative }));
  // Later half of the buckets against the earlier half: the same rule as a ticket's trend.
  const half = Math.floor(buckets.length / 2);
  const mean = (xs: typeof buckets) => xs.reduce((a, b) => a + (b.averageScore ?? 0), 0) / xs.length;
  const change = buckets.length >= 2 ? round(mean(buckets.slice(half)) - mean(buckets.slice(0, half))) : null;
  return {
    statistics: {
      period: describePeriod(p),
      granularity,
      buckets,
      olderBucketsOmitted: rows.length > MAX_BUCKETS,
      changeLaterVsEarlierHalf: change,
      direction:
        change === null ? 'unknown' : change > 0.1 ? 'improving' : change < -0.1 ? 'worsening' : 'flat',
    },
    ticketIds: [],
  };
}

async function breakdown(db: Q, p: Period | null, dimension: Dimension): Promise<ShapeResult> {
  const col = DIMENSION_COLUMNS[dimension];
  const rows = (
    await db.query<{ key: string; tickets: number; avg: number; negative: number }>(
      `SELECT COALESCE(${col}, '(none)') AS key, count(*)::int AS tickets, avg(t.sentiment_score)::float8 AS avg,
              count(*) FILTER (WHERE t.sentiment_label = 'negative')::int AS negative
       FROM tickets t WHERE t.sentiment_score IS NOT NULL AND ${TICKET_ACTIVE}
       GROUP BY 1 ORDER BY avg ASC, key LIMIT $3`,
      [...bounds(p), MAX_GROUPS],
    )
  ).rows;
  return {
    statistics: {
      period: describePeriod(p),
      dimension,
      order: 'most negative average first',
      groups: rows.map((r) => ({
        key: r.key,
        tickets: r.tickets,
        averageScore: round(r.avg),
        negativeTickets: r.negative,
      })),
    },
    ticketIds: [],
  };
}

/** The `n` lowest-scored tickets active in `p`; `below`, when set, bounds the score (exclusive). */
async function lowestScored(db: Q, p: Period | null, n: number, below: number | null): Promise<ExampleRow[]> {
  return (
    await db.query<ExampleRow>(
      `SELECT t.id, t.sentiment_score FROM tickets t
       WHERE t.sentiment_score IS NOT NULL AND ($4::real IS NULL OR t.sentiment_score < $4::real) AND ${TICKET_ACTIVE}
       ORDER BY t.sentiment_score ASC, t.id LIMIT $3`,
      [...bounds(p), n, below],
    )
  ).rows;
}

/** The `n` lowest-scored tickets active in `p`, whatever their score (examples for a general question). */
export async function lowestScoredIds(db: Q, p: Period | null, n: number): Promise<string[]> {
  return (await lowestScored(db, p, n, null)).map((r) => r.id);
}

async function topNegative(db: Q, p: Period | null): Promise<ShapeResult> {
  // Only tickets that lean negative: a positive ticket is nobody's "most negative".
  const rows = await lowestScored(db, p, EXAMPLES, 0);
  const labels = await ticketLabels(db, p);
  return {
    statistics: { period: describePeriod(p), ticketsByCurrentLabel: labels, mostNegative: examples(rows) },
    ticketIds: rows.map((r) => r.id),
  };
}

async function ticketTrends(db: Q, p: Period | null, trend: string): Promise<ShapeResult> {
  const counts = (
    await db.query<{ trend: string; n: number }>(
      `SELECT t.trend, count(*)::int AS n FROM tickets t WHERE t.sentiment_score IS NOT NULL AND ${TICKET_ACTIVE} GROUP BY 1`,
      bounds(p),
    )
  ).rows;
  const rows = (
    await db.query<ExampleRow>(
      `SELECT t.id, t.sentiment_score FROM tickets t WHERE t.trend = $3 AND t.sentiment_score IS NOT NULL AND ${TICKET_ACTIVE}
       ORDER BY t.sentiment_score ASC, t.id LIMIT $4`,
      [...bounds(p), trend, EXAMPLES],
    )
  ).rows;
  const byTrend = { improving: 0, declining: 0, stable: 0, volatile: 0 };
  for (const c of counts) if (c.trend in byTrend) byTrend[c.trend as keyof typeof byTrend] = c.n;
  return {
    statistics: { period: describePeriod(p), trend, ticketsByTrend: byTrend, examples: examples(rows) },
    ticketIds: rows.map((r) => r.id),
  };
}

async function topicCount(db: Q, p: Period | null, topic: string): Promise<ShapeResult> {
  // Full-text match on the ticket or one of its comments, over the indexed vectors the Postgres search
  // backend also uses (migration 3); the topic is a bound parameter to plainto_tsquery.
  const matching = `WITH q AS (SELECT plainto_tsquery('english'::regconfig, $3) AS q),
    m AS (SELECT t.id, t.sentiment_score, t.sentiment_label FROM tickets t, q
          WHERE ${TICKET_ACTIVE}
            AND (t.search_vector @@ q.q OR EXISTS (SELECT 1 FROM comments c2 WHERE c2.ticket_id = t.id AND c2.search_vector @@ q.q)))`;
  const [agg] = (
    await db.query<{ n: number; negative: number; neutral: number; positive: number; avg: number | null }>(
      `${matching} SELECT count(*)::int AS n, count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative,
         count(*) FILTER (WHERE sentiment_label = 'neutral')::int AS neutral,
         count(*) FILTER (WHERE sentiment_label = 'positive')::int AS positive, avg(sentiment_score)::float8 AS avg FROM m`,
      [...bounds(p), topic],
    )
  ).rows;
  const rows = (
    await db.query<ExampleRow>(
      `${matching} SELECT id, sentiment_score FROM m WHERE sentiment_score IS NOT NULL ORDER BY sentiment_score ASC, id LIMIT $4`,
      [...bounds(p), topic, EXAMPLES],
    )
  ).rows;
  const a = agg!;
  return {
    statistics: {
      period: describePeriod(p),
      topic,
      matchingTickets: a.n,
      matchingByCurrentLabel: { negative: a.negative, neutral: a.neutral, positive: a.positive },
      averageScore: round(a.avg),
      mostNegativeMatches: examples(rows),
    },
    ticketIds: rows.map((r) => r.id),
  };
}

async function comparePeriods(db: Q, a: Period, b: Period): Promise<ShapeResult> {
  const first = await commentStats(db, a);
  const second = await commentStats(db, b);
  const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : round(x - y));
  return {
    statistics: {
      first,
      second,
      change: {
        averageCommentScore: diff(first.averageCommentScore, second.averageCommentScore),
        negativeShare: diff(first.negativeShare, second.negativeShare),
        comments: first.comments - second.comments,
      },
    },
    ticketIds: [],
  };
}

export function computeShape(db: Q, c: ShapeChoice): Promise<ShapeResult> {
  switch (c.shape) {
    case 'sentiment_distribution':
      return distribution(db, c.period);
    case 'trend_over_time':
      return trendOverTime(db, c.period, c.granularity);
    case 'breakdown':
      return breakdown(db, c.period, c.dimension);
    case 'top_negative':
      return topNegative(db, c.period);
    case 'ticket_trends':
      return ticketTrends(db, c.period, c.trend);
    case 'topic_count':
      return topicCount(db, c.period, c.topic);
    case 'compare_periods':
      return comparePeriods(db, c.a, c.b);
  }
}
