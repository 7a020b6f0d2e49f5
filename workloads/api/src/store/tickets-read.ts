// Read queries. Filters are bound as parameters; sort columns come from a fixed whitelist. Results are
// the routes' wire shapes (routes/tickets.ts), timestamps as ISO strings; ticketsToIndex's are the
// ingest's ScoredTicket, for the index rebuild.
import type { Scored } from '../ml-client.js';
import type { TicketDetail, TicketItem } from '../routes/tickets.js';
import type { Db } from './db.js';
import { DEFAULT_ROLLUP, rollUp } from './rollup.js';
import type { ScoredTicket } from './tickets.js';

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

interface IndexTicketRow {
  id: string;
  summary: string;
  description: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  sentiment_score: number | null;
  sentiment_label: Scored['label'] | null;
  embedding: number[] | null;
}

/** Its sentiment columns are nullable in the schema, but upsertTickets writes them for every comment. */
interface IndexCommentRow {
  ticket_id: string;
  created_at: Date;
  author: string;
  body: string;
  label: Scored['label'];
  p_negative: number;
  p_neutral: number;
  p_positive: number;
  score: number;
}

/**
 * Stored tickets as the ingest indexed them (search/reindex.ts rebuilds the index from these): the first
 * `limit` with ids after `after` ('' for the first page), in id order, cut once their text passes
 * `maxBytes` (one ticket at least), so the bulk request and this process's memory stay bounded. Keyset
 * pagination: every page is one range scan of the primary key, however deep.
 */
export async function ticketsToIndex(
  db: Pick<Db, 'query'>,
  after: string,
  limit: number,
  maxBytes: number,
): Promise<ScoredTicket[]> {
  // octet_length reads a stored value's size without de-TOASTing it.
  const tickets = (
    await db.query<IndexTicketRow>(
      `WITH head AS (
         SELECT t.id, octet_length(t.summary) + octet_length(t.description)
                + coalesce((SELECT sum(octet_length(c.body)) FROM comments c WHERE c.ticket_id = t.id), 0) AS bytes
         FROM tickets t WHERE t.id > $1 ORDER BY t.id LIMIT $2),
       sized AS (SELECT id, sum(bytes) OVER (ORDER BY id) AS upto, row_number() OVER (ORDER BY id) AS n FROM head)
       SELECT t.id, t.summary, t.description, t.status, t.priority, t.assignee, t.created_at, t.updated_at,
              t.sentiment_score, t.sentiment_label, t.embedding
       FROM sized JOIN tickets t USING (id) WHERE sized.n = 1 OR sized.upto <= $3::bigint ORDER BY t.id`,
      [after, limit, maxBytes],
    )
  ).rows;
  if (tickets.length === 0) return [];
  const comments = (
    await db.query<IndexCommentRow>(
      `SELECT ticket_id, created_at, author, body, label, p_negative, p_neutral, p_positive, score
       FROM comments WHERE ticket_id = ANY($1::text[]) ORDER BY ticket_id, seq`,
      [tickets.map((t) => t.id)],
    )
  ).rows;
  const byTicket = new Map<string, IndexCommentRow[]>();
  for (const c of comments) {
    const list = byTicket.get(c.ticket_id);
    if (list) list.push(c);
    else byTicket.set(c.ticket_id, [c]);
  }
  return tickets.map((t) => {
    const own = byTicket.get(t.id) ?? [];
    const scored: ScoredTicket = {
      ticket: {
        id: t.id,
        summary: t.summary,
        description: t.description,
        status: t.status,
        priority: t.priority,
        assignee: t.assignee,
        createdAt: t.created_at,
        updatedAt: t.updated_at,
        comments: own.map((c) => ({ at: c.created_at, author: c.author, text: c.body })),
      },
      sentiment: own.map((c) => ({
        label: c.label,
        probabilities: { negative: c.p_negative, neutral: c.p_neutral, positive: c.p_positive },
        score: c.score,
      })),
      embedding: t.embedding,
    };
    // A ticket without comments was rolled up from its description's score alone, which is then the
    // stored score (ticketRollup).
    if (own.length === 0 && t.sentiment_score !== null)
      scored.descriptionSentiment = { score: t.sentiment_score };
    return scored;
  });
}
