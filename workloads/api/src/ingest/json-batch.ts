// JSON batch ingest: small batches (bounded by the 1 MB body limit) are validated, scored and
// written in the request, recorded as a completed job with per-item errors. Files go through CSV jobs.
import { z } from 'zod';
import { FIELD_LIMITS, TICKET_ID, type TicketInput } from '../jira/mapping.js';
import { createJob, getJob, MAX_STORED_ROW_ISSUES, type JobView, type RowError } from '../store/jobs.js';
import { scoreTickets, type IngestDeps } from './csv-job.js';
import { storeBatch } from './store-batch.js';

// Anything Date parses; documented as what clients should send.
const date = z.coerce.date().meta({ override: { type: 'string', format: 'date-time' } });
// Postgres text cannot hold U+0000: an item carrying one is refused with its field named.
const text = () => z.string().refine((s) => !s.includes('\0'), 'contains a NUL character (U+0000)');
/** One item of a JSON batch; each is checked on its own, so a bad one fails only its row. */
export const jsonTicket = z.object({
  id: z.string().regex(TICKET_ID, 'letters, digits, . _ : - (max 128)'),
  summary: text().max(FIELD_LIMITS.summary).default(''),
  description: text().max(1_000_000).default(''),
  status: text().max(FIELD_LIMITS.status).nullable().default(null),
  priority: text().max(FIELD_LIMITS.priority).nullable().default(null),
  assignee: text().max(FIELD_LIMITS.assignee).nullable().default(null),
  createdAt: date.nullable().default(null),
  updatedAt: date.nullable().default(null),
  comments: z
    .array(z.object({ at: date, author: text().max(200), text: text().min(1) }))
    .max(10_000)
    .default([]),
});

export async function ingestJsonBatch(
  deps: IngestDeps,
  items: unknown[],
  createdBy: string,
): Promise<JobView> {
  const { db, ml } = deps;
  const good: { row: number; ticket: TicketInput }[] = [];
  const errors: RowError[] = [];
  items.forEach((item, i) => {
    const r = jsonTicket.safeParse(item);
    if (r.success)
      good.push({
        row: i + 1,
        ticket: {
          ...r.data,
          comments: [...r.data.comments].sort((a, b) => a.at.getTime() - b.at.getTime()),
        },
      });
    else
      errors.push({
        row: i + 1,
        error: r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '),
      });
  });
  const jobId = await createJob(db, 'json', `json batch of ${items.length}`, {}, createdBy);
  const scored = (
    await scoreTickets(
      ml,
      good.map((g) => g.ticket),
    )
  ).map((s, i) => ({ ...s, row: good[i]!.row }));
  await db.transaction(async (tx) => {
    const done = await storeBatch(tx, deps.search, scored, jobId);
    const all = [...errors, ...done.errors].sort((a, b) => a.row - b.row);
    await tx.query(
      `UPDATE jobs SET state = 'completed', rows_read = $2, rows_scored = $3, rows_indexed = $6, checkpoint = $2,
         error_count = $4, errors = $5::jsonb, warning_count = $7, warnings = $8::jsonb, updated_at = now()
       WHERE id = $1`,
      [
        jobId,
        items.length,
        done.stored,
        all.length,
        JSON.stringify(all.slice(0, MAX_STORED_ROW_ISSUES)),
        done.indexed,
        done.warnings.length,
        JSON.stringify(done.warnings.slice(0, MAX_STORED_ROW_ISSUES)),
      ],
    );
  });
  // Searchable once the route answers.
  await deps.search.refresh();
  return (await getJob(db, jobId))!;
}
