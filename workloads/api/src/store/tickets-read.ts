// Read queries. Filters are bound as parameters; sort columns come from a fixed whitelist. Results are
// the routes' wire shapes (routes/tickets.ts), timestamps as ISO strings.
import type { TicketDetail, TicketItem } from '../routes/tickets.js';
import type { Db } from './db.js';
import { DEFAULT_ROLLUP, rollUp } from './rollup.js';

export interface TicketFilter {
  status?: string;
  priority?: string;
  assignee?: string;
  label?: string;
  trend?: string;
  sort?: 'score' | 'updated' | 'id';
  limit: number;
  offset: number;
}

const SORTS = {
  score: 'sentiment_score ASC NULLS LAST, id',
  updated: 'updated_at DESC NULLS LAST, id',
  id: 'id',
} as const;

/** A tickets row as the driver returns it: timestamps as Dates. */
type TicketRow = Omit<TicketItem, 'created_at' | 'updated_at'> & {
  created_at: Date | null;
  updated_at: Date | null;
};

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const withIsoTimes = <R extends TicketRow>({ created_at, updated_at, ...r }: R) => ({
  ...r,
  created_at: iso(created_at),
  updated_at: iso(updated_at),
});

export async function listTickets(
  db: Pick<Db, 'query'>,
  f: TicketFilter,
): Promise<{ total: number; items: TicketItem[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    params.push(v);
    where.push(`${col} = $${params.length}`);
  };
  eq('status', f.status);
  eq('priority', f.priority);
  eq('assignee', f.assignee);
  eq('sentiment_label', f.label);
  eq('trend', f.trend);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const order = SORTS[f.sort ?? 'id'];
  params.push(f.limit, f.offset);
  const rows = (
    await db.query<TicketRow & { total: string | number | bigint }>(
      `SELECT id, summary, status, priority, assignee, created_at, updated_at, sentiment_score, sentiment_label, trend,
              count(*) OVER () AS total
       FROM tickets ${clause} ORDER BY ${order} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    )
  ).rows;
  const total = Number(rows[0]?.total ?? 0);
  return { total, items: rows.map(({ total: _t, ...r }) => withIsoTimes(r)) };
}

type CommentRow = Omit<TicketDetail['comments'][number], 'created_at'> & { created_at: Date };

export async function getTicket(db: Pick<Db, 'query'>, id: string): Promise<TicketDetail | null> {
  const [ticket] = (
    await db.query<TicketRow & { description: string }>(
      `SELECT id, summary, description, status, priority, assignee, created_at, updated_at, sentiment_score,
              sentiment_label, trend FROM tickets WHERE id = $1`,
      [id],
    )
  ).rows;
  if (!ticket) return null;
  const comments = (
    await db.query<CommentRow>(
      `SELECT seq, author, created_at, body, label, score,
              json_build_object('negative', p_negative, 'neutral', p_neutral, 'positive', p_positive) AS probabilities
       FROM comments WHERE ticket_id = $1 ORDER BY seq`,
      [id],
    )
  ).rows;
  return {
    ...withIsoTimes(ticket),
    comments: comments.map((c) => ({ ...c, created_at: new Date(c.created_at).toISOString() })),
    trajectory: trajectoryOf(comments),
  };
}

/** Each scored comment with the ticket's roll-up as it stood right after it (the same rule as ingest). */
function trajectoryOf(comments: readonly CommentRow[]): TicketDetail['trajectory'] {
  const points = comments.flatMap((c) =>
    c.score === null ? [] : [{ seq: c.seq, at: new Date(c.created_at).toISOString(), score: c.score }],
  );
  const scores = points.map((p) => p.score);
  // The rolled-up score reads only the last `window` comments, so each prefix is cut to that (linear, not quadratic).
  return points.map((p, i) => ({
    ...p,
    rolling: rollUp(scores.slice(Math.max(0, i + 1 - DEFAULT_ROLLUP.window), i + 1)).score as number,
  }));
}
