// Dashboard roll-ups, so a dashboard request reads a few thousand rows instead of aggregating 1M
// comments and 100k (wide) tickets: comment_days (comments per UTC day) and ticket_facets (tickets per
// UTC day of their latest comment, per dimension value). Both are tables of sums that ticket upserts
// adjust in their own transaction: the contribution of the batch's tickets is read before and after
// the writes, and the difference is added.
import type { Db } from './db.js';

type Row = Record<string, string | number | null>;

interface Rollup {
  table: 'comment_days' | 'ticket_facets';
  keys: { name: string; type: 'date' | 'text' }[];
  sums: { name: string; type: 'integer' | 'numeric' }[];
  /** The contribution of the tickets in $1 (text[]), one row per key. */
  contribution: string;
}

// Scores are summed as numeric so that a contribution subtracted later cancels exactly (float sums drift).
// Migration 4 backfills both tables with the same expressions over all rows.
const ROLLUPS: Rollup[] = [
  {
    table: 'comment_days',
    keys: [{ name: 'day', type: 'date' }],
    sums: ['comments', 'scored', 'score_sum', 'negative', 'neutral', 'positive'].map((name) => ({
      name,
      type: name === 'score_sum' ? 'numeric' : 'integer',
    })),
    contribution: `
      SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS comments, count(score) AS scored,
             COALESCE(sum(score::numeric), 0) AS score_sum, count(*) FILTER (WHERE label = 'negative') AS negative,
             count(*) FILTER (WHERE label = 'neutral') AS neutral, count(*) FILTER (WHERE label = 'positive') AS positive
      FROM comments WHERE ticket_id = ANY($1::text[]) GROUP BY 1`,
  },
  {
    table: 'ticket_facets',
    keys: [
      { name: 'day', type: 'date' },
      { name: 'dim', type: 'text' },
      { name: 'key', type: 'text' },
    ],
    sums: ['tickets', 'scored', 'score_sum', 'negative'].map((name) => ({
      name,
      type: name === 'score_sum' ? 'numeric' : 'integer',
    })),
    contribution: `
      SELECT (t.last_comment_at AT TIME ZONE 'UTC')::date AS day, f.dim, f.key, count(*) AS tickets,
             count(t.sentiment_score) AS scored, COALESCE(sum(t.sentiment_score::numeric), 0) AS score_sum,
             count(*) FILTER (WHERE t.sentiment_label = 'negative') AS negative
      FROM tickets t CROSS JOIN LATERAL (VALUES ('label', t.sentiment_label), ('trend', t.trend), ('priority', t.priority),
                                                ('status', t.status), ('assignee', t.assignee)) AS f (dim, key)
      WHERE t.id = ANY($1::text[]) GROUP BY 1, 2, 3`,
  },
];

async function contributions(tx: Pick<Db, 'query'>, ids: readonly string[]): Promise<Row[][]> {
  const out: Row[][] = [];
  // Values travel as text: numeric sums must not pass through JS floats.
  for (const r of ROLLUPS)
    out.push(
      (
        await tx.query<Row>(
          `SELECT ${[...r.keys, ...r.sums].map((c) => `${c.name}::text`).join(', ')} FROM (${r.contribution}) c`,
          [ids],
        )
      ).rows,
    );
  return out;
}

/**
 * Adds `after - before` to each roll-up in one statement per table, keys in a fixed order, so that
 * concurrent transactions lock the rows they share in the same order (they wait; they do not deadlock).
 */
async function apply(tx: Pick<Db, 'query'>, before: Row[][], after: Row[][]): Promise<void> {
  for (const [i, r] of ROLLUPS.entries()) {
    const rows = [...before[i]!.map((x) => ({ ...x, s: -1 })), ...after[i]!.map((x) => ({ ...x, s: 1 }))];
    if (rows.length === 0) continue;
    const keys = r.keys.map((k) => k.name).join(', ');
    const columns = [...r.keys, ...r.sums].map((c) => `${c.name} ${c.type}`).join(', ');
    await tx.query(
      `INSERT INTO ${r.table} (${keys}, ${r.sums.map((s) => s.name).join(', ')})
       SELECT ${keys}, ${r.sums.map((s) => `sum(s * ${s.name})`).join(', ')}
       FROM json_to_recordset($1::json) AS d(s integer, ${columns})
       GROUP BY ${keys} ORDER BY ${keys}
       ON CONFLICT (${keys}) DO UPDATE SET ${r.sums.map((s) => `${s.name} = ${r.table}.${s.name} + EXCLUDED.${s.name}`).join(', ')}`,
      [JSON.stringify(rows)],
    );
  }
}

/**
 * Brackets the writes of a batch of tickets: call before touching them, then `finish()` after. Every
 * writer of tickets and comments goes through this (store/tickets.ts upsertTickets).
 */
export async function trackRollups(
  tx: Pick<Db, 'query'>,
  ticketIds: readonly string[],
): Promise<{ finish(): Promise<void> }> {
  const ids = [...new Set(ticketIds)].sort();
  // A transaction-scoped lock per ticket, taken in sorted order, keeps a concurrent upsert of the same
  // ticket from changing it between this read and the writes (its contribution would be subtracted twice).
  await tx.query(
    `SELECT pg_advisory_xact_lock(727002, hashtext(id)) FROM (SELECT unnest($1::text[]) AS id ORDER BY 1) s`,
    [ids],
  );
  const before = await contributions(tx, ids);
  return {
    async finish() {
      await apply(tx, before, await contributions(tx, ids));
    },
  };
}
