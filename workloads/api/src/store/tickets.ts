// Ticket writes are idempotent upserts keyed by ticket id: re-processing rows after a worker crash
// replaces what an earlier attempt wrote instead of duplicating it.
import type { JiraComment } from '../jira/comment.js';
import type { TicketInput } from '../jira/mapping.js';
import type { Scored } from '../ml-client.js';
import type { Label } from '../routes/wire.js';
import type { Db } from './db.js';
import { rollUp, type Rollup } from './rollup.js';
import { trackRollups } from './rollups.js';

export interface ScoredTicket {
  ticket: TicketInput;
  /** One per comment, same order. */
  sentiment: Scored[];
  /** The description's score, only for a ticket without comments (see ticketRollup); nothing else of it is kept. */
  descriptionSentiment?: Pick<Scored, 'score'>;
  embedding: number[] | null;
  /** Where the ticket came from in its job: the file's data row (CSV) or the item's position (JSON), from 1. */
  row?: number;
}

/** A ticket stored twice by one job: the later row replaced the earlier one, comments included. */
export interface ReplacedTicket {
  id: string;
  row: number;
  previousRow: number;
}

/**
 * The ticket's sentiment: its comments', recency-weighted; for a ticket without comments, its description's
 * (the customer's only words), so such a ticket is not left unscored.
 */
export function ticketRollup({ sentiment, descriptionSentiment }: ScoredTicket): Rollup {
  if (sentiment.length === 0 && descriptionSentiment) return rollUp([descriptionSentiment.score]);
  return rollUp(sentiment.map((s) => s.score));
}

export function labelOf(score: number): Label {
  if (score > 0.2) return 'positive';
  if (score < -0.2) return 'negative';
  return 'neutral';
}

/**
 * A ticket already stored replaces the old one whole: fields, roll-up and comments (those not in the new
 * row are deleted). Returns the tickets this job had already stored from another row (a key twice in one
 * file): the later row is the one kept.
 */
export async function upsertTickets(
  tx: Pick<Db, 'query'>,
  items: readonly ScoredTicket[],
  jobId: string,
): Promise<ReplacedTicket[]> {
  const rollups = await trackRollups(
    tx,
    items.map((i) => i.ticket.id),
  );
  const replaced: ReplacedTicket[] = [];
  for (const item of items) {
    const { ticket: t, sentiment, embedding } = item;
    const roll = ticketRollup(item);
    // The statement's snapshot: `prior` is the row as it was before this upsert.
    const [written] = (
      await tx.query<{ previous_row: number | null }>(
        `WITH prior AS (SELECT job_id, job_row FROM tickets WHERE id = $1)
       INSERT INTO tickets (id, summary, description, status, priority, assignee, created_at, updated_at,
                            sentiment_score, sentiment_label, trend, embedding, job_id, last_comment_at,
                            job_row, ingested_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
       ON CONFLICT (id) DO UPDATE SET summary = EXCLUDED.summary, description = EXCLUDED.description,
         status = EXCLUDED.status, priority = EXCLUDED.priority, assignee = EXCLUDED.assignee,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
         sentiment_score = EXCLUDED.sentiment_score, sentiment_label = EXCLUDED.sentiment_label,
         trend = EXCLUDED.trend, embedding = EXCLUDED.embedding, job_id = EXCLUDED.job_id,
         last_comment_at = EXCLUDED.last_comment_at, job_row = EXCLUDED.job_row, ingested_at = now()
       RETURNING (SELECT job_row FROM prior WHERE job_id = $13) AS previous_row`,
        [
          t.id,
          t.summary,
          t.description,
          t.status,
          t.priority,
          t.assignee,
          t.createdAt,
          t.updatedAt,
          roll.score,
          roll.score === null ? null : labelOf(roll.score),
          roll.trend,
          embedding,
          jobId,
          t.comments.reduce<Date | null>((last, c) => (last && last >= c.at ? last : c.at), null),
          item.row ?? null,
        ],
      )
    ).rows;
    // A row is its own predecessor only if written twice, which is no duplicate.
    const previousRow = written?.previous_row ?? null;
    if (item.row !== undefined && previousRow !== null && previousRow !== item.row)
      replaced.push({ id: t.id, row: item.row, previousRow });
    await tx.query('DELETE FROM comments WHERE ticket_id = $1', [t.id]);
    if (t.comments.length === 0) continue;
    // One multi-row insert per ticket: column arrays unnested server-side keep the statement parameterized.
    const col = <K>(f: (c: JiraComment, s: Scored, i: number) => K) =>
      t.comments.map((c, i) => f(c, sentiment[i] as Scored, i));
    await tx.query(
      `INSERT INTO comments (ticket_id, seq, author, created_at, body, label, p_negative, p_neutral, p_positive, score)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                                $7::real[], $8::real[], $9::real[], $10::real[])`,
      [
        t.id,
        col((_c, _s, i) => i),
        col((c) => c.author),
        col((c) => c.at),
        col((c) => c.text),
        col((_c, s) => s.label),
        col((_c, s) => s.probabilities.negative),
        col((_c, s) => s.probabilities.neutral),
        col((_c, s) => s.probabilities.positive),
        col((_c, s) => s.score),
      ],
    );
  }
  await rollups.finish();
  return replaced;
}
