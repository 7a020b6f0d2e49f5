// Stores one batch of scored tickets (CSV job batch or JSON batch) in the caller's transaction, then
// indexes what was stored. A value Postgres or the search index refuses fails its row, never the batch:
// the batch is tried whole, and only when one of its rows breaks it, row by row under savepoints; rows
// the index refuses are taken out of the batch and it is stored again without them. Search indexes only
// the stored rows, so both hold the same tickets.
import { DocumentsRefusedError } from '../search/opensearch.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';
import type { RowError, RowWarning } from '../store/jobs.js';
import { upsertTickets, type ReplacedTicket, type ScoredTicket } from '../store/tickets.js';

export type RowTicket = ScoredTicket & { row: number };

export interface StoredBatch {
  stored: number;
  indexed: number;
  errors: RowError[];
  warnings: RowWarning[];
}

/**
 * SQLSTATE classes a row's own values cause: 22 data exception (a NUL byte, a value out of range), 23
 * integrity constraint, 54 program limit (an index entry or a tsvector too large). Anything else (a lost
 * connection, a deadlock, a timeout) is no row's fault: it fails the attempt, and the queue retries it.
 */
export function isRowDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

// Reasons are clipped: an index's reason can quote the whole value.
const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);

function refusal(err: unknown): string {
  const e = err as Error & { column?: string };
  // The message names the index or constraint; `detail` is left out, as it can repeat the whole row.
  return `not stored: ${clip(e.message)}${e.column ? ` (column ${e.column})` : ''}`;
}

/** Upserts `items` under savepoint `store_batch` (left open); a row Postgres refuses is an error. */
async function upsertRows(tx: Pick<Db, 'query'>, items: readonly RowTicket[], jobId: string) {
  const errors: RowError[] = [];
  await tx.query('SAVEPOINT store_batch');
  try {
    return { stored: [...items], replaced: await upsertTickets(tx, items, jobId), errors };
  } catch (err) {
    if (!isRowDataError(err)) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT store_batch');
  }
  const stored: RowTicket[] = [];
  const replaced: ReplacedTicket[] = [];
  for (const item of items) {
    await tx.query('SAVEPOINT store_row');
    try {
      replaced.push(...(await upsertTickets(tx, [item], jobId)));
      await tx.query('RELEASE SAVEPOINT store_row');
      stored.push(item);
    } catch (err) {
      if (!isRowDataError(err)) throw err;
      await tx.query('ROLLBACK TO SAVEPOINT store_row');
      errors.push({ row: item.row, error: refusal(err) });
    }
  }
  return { stored, replaced, errors };
}

export async function storeBatch(
  tx: Pick<Db, 'query'>,
  search: SearchBackend,
  items: readonly RowTicket[],
  jobId: string,
): Promise<StoredBatch> {
  let done = await upsertRows(tx, items, jobId);
  let indexed: number;
  try {
    indexed = await search.index(done.stored);
  } catch (err) {
    if (!(err instanceof DocumentsRefusedError)) throw err;
    // Postgres must not keep what the index refused: the batch is stored again without those rows.
    const refused = new Map(err.refused.map((r) => [done.stored[r.at]!, r.reason]));
    await tx.query('ROLLBACK TO SAVEPOINT store_batch');
    await tx.query('RELEASE SAVEPOINT store_batch');
    const errors = [
      ...done.errors,
      ...[...refused].map(([item, reason]) => ({ row: item.row, error: `not indexed: ${clip(reason)}` })),
    ];
    done = await upsertRows(
      tx,
      done.stored.filter((item) => !refused.has(item)),
      jobId,
    );
    done.errors.push(...errors);
    // Its documents are written again, as Postgres stores them (a key twice: the later row kept).
    indexed = await search.index(done.stored);
  }
  await tx.query('RELEASE SAVEPOINT store_batch');
  const warnings = done.replaced.map((r) => ({
    row: r.row,
    warning: `${r.id} is also on row ${r.previousRow}: this later row replaces it, comments included`,
  }));
  return { stored: done.stored.length, indexed, errors: done.errors, warnings };
}
