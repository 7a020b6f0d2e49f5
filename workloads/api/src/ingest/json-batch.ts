// JSON batch ingest: small batches (bounded by the 1 MB body limit) are validated, scored and
// written in the request, recorded as a completed job with per-item errors. Files go through CSV jobs.
import { z } from 'zod';
import type { TicketInput } from '../jira/mapping.js';
import { createJob, getJob, type JobView } from '../store/jobs.js';
import { upsertTickets } from '../store/tickets.js';
import { scoreTickets, type IngestDeps, type RowError } from './csv-job.js';

const date = z.coerce.date();
const ticketSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, . _ : - (max 128)'),
  summary: z.string().max(10_000).default(''),
  description: z.string().max(1_000_000).default(''),
  status: z.string().max(100).nullable().default(null),
  priority: z.string().max(100).nullable().default(null),
  assignee: z.string().max(200).nullable().default(null),
  createdAt: date.nullable().default(null),
  updatedAt: date.nullable().default(null),
  comments: z
    .array(z.object({ at: date, author: z.string().max(200), text: z.string().min(1) }))
    .max(10_000)
    .default([]),
});

export async function ingestJsonBatch(
  deps: IngestDeps,
  items: unknown[],
  createdBy: string,
): Promise<JobView> {
  const { db, ml } = deps;
  const good: TicketInput[] = [];
  const errors: RowError[] = [];
  items.forEach((item, i) => {
    const r = ticketSchema.safeParse(item);
    if (r.success)
      good.push({
        ...r.data,
        comments: [...r.data.comments].sort((a, b) => a.at.getTime() - b.at.getTime()),
      });
    else
      errors.push({
        row: i + 1,
        error: r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '),
      });
  });
  const jobId = await createJob(db, 'json', `json batch of ${items.length}`, {}, createdBy);
  const scored = await scoreTickets(ml, good);
  const indexed = await deps.search.index(scored);
  await deps.search.refresh();
  await db.transaction(async (tx) => {
    await upsertTickets(tx, scored, jobId);
    await tx.query(
      `UPDATE jobs SET state = 'completed', rows_read = $2, rows_scored = $3, rows_indexed = $6, checkpoint = $2,
         error_count = $4, errors = $5::jsonb, updated_at = now() WHERE id = $1`,
      [jobId, items.length, scored.length, errors.length, JSON.stringify(errors.slice(0, 1000)), indexed],
    );
  });
  return (await getJob(db, jobId))!;
}
