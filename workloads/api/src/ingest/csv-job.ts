// Processes one uploaded Jira CSV as a stream from the database (never the whole file in memory), in
// batches of rows. Two stages overlap: while batch k is being written (stored, indexed for search and
// checkpointed in one transaction; see store-batch.ts), batch k+1 is parsed and scored by the ML service.
// Writes run strictly in order, one at a time, so the checkpoint only ever moves over durably written
// rows: after a crash the job resumes at the checkpoint, and the idempotent upserts (Postgres and the
// search index, both keyed by ticket id) make a re-processed batch harmless.
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { mapRow, type ColumnMapping, type TicketInput } from '../jira/mapping.js';
import type { MlClient } from '../ml-client.js';
import { JobInterruptedError, JobSupersededError } from '../queue/queue.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';
import { completeJob, MAX_STORED_ROW_ISSUES, type RowError, type RowWarning } from '../store/jobs.js';
import type { ScoredTicket } from '../store/tickets.js';
import { decoder, detectCharset, type Charset } from './decode.js';
import { storeBatch, type RowTicket } from './store-batch.js';
import { readUploadHead, UploadReadStream } from './upload-chunks.js';

/** The file is the job's upload in upload_chunks. */
export interface CsvJob {
  id: string;
  charset?: Charset;
  mapping: ColumnMapping;
  /** Aborted when the worker is stopping: the job ends at its next checkpoint with JobInterruptedError. */
  signal?: AbortSignal;
}

export interface IngestDeps {
  db: Db;
  ml: MlClient;
  search: SearchBackend;
  /** Rows per scored/committed batch. */
  batchRows?: number;
  /** Bytes of CSV records per batch; a record longer than this is a batch of its own. */
  batchBytes?: number;
}

// One cell may be large (logs pasted into a description), but a record past this is a broken file.
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
// How much of the file the charset sniff looks at.
const SNIFF_BYTES = 64 * 1024;
// Rows alone do not bound memory: 64 rows of 16 MiB are 1 GiB of text. Sized for the smallest worker
// (256 Mi, the ultra-low-cost profile) at WORKER_CONCURRENCY 2, with Node and the clients taking ~100 MiB:
// a job holds two batches (one gathered and scored, one being written, which is serialised for the search
// index and for Postgres once each, and JS strings take up to 2 bytes per UTF-8 byte): ~6 × 4 MiB, plus
// the record being parsed (≤ 16 MiB, twice while decoded): ~56 MiB a job, ~112 MiB for two.
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

/** Scores every comment; a ticket without comments is scored on its description (ticketRollup). */
export async function scoreTickets(ml: MlClient, tickets: TicketInput[]): Promise<ScoredTicket[]> {
  const byDescription = (t: TicketInput) => t.comments.length === 0 && t.description.trim() !== '';
  const texts = tickets.flatMap((t) => (byDescription(t) ? [t.description] : t.comments.map((c) => c.text)));
  // Both at once: the service batches them together and the model does not wait for a round trip. The
  // first failure stops the other call, which would otherwise retry on its own for the rest of its policy.
  const stop = new AbortController();
  const client = ml.stoppedBy(stop.signal);
  const failed = (err: unknown): never => {
    stop.abort();
    throw err;
  };
  const [scored, embeddings] = await Promise.all([
    texts.length ? client.sentiment(texts).catch(failed) : [],
    tickets.length
      ? client.embeddings(tickets.map((t) => `${t.summary}\n${t.description}`.trim() || t.id)).catch(failed)
      : [],
  ]);
  let k = 0;
  return tickets.map((ticket, i) => ({
    ticket,
    sentiment: ticket.comments.map(() => scored[k++]!),
    ...(byDescription(ticket) ? { descriptionSentiment: scored[k++]! } : {}),
    embedding: embeddings[i] ?? null,
  }));
}

export async function runCsvJob(deps: IngestDeps, job: CsvJob): Promise<void> {
  const { db, ml } = deps;
  const batchRows = deps.batchRows ?? 64;
  const batchBytes = deps.batchBytes ?? DEFAULT_BATCH_BYTES;
  // This run takes the job over: a run still going elsewhere (it lost its queue lock) writes no more.
  const runId = randomUUID();
  const [state] = (
    await db.query<{ checkpoint: number }>(
      `UPDATE jobs SET state = 'running', failure = NULL, run_id = $2, updated_at = now() WHERE id = $1
       RETURNING checkpoint`,
      [job.id, runId],
    )
  ).rows;
  if (!state) throw new Error(`job ${job.id} does not exist`);
  const resumeAt = state.checkpoint;
  const charset =
    job.charset ?? detectCharset((await readUploadHead(db, job.id, SNIFF_BYTES)) ?? Buffer.alloc(0));

  let header: string[] | null = null;
  let row = 0; // data rows seen, header excluded
  let interrupted = false;
  let tickets: { row: number; ticket: TicketInput }[] = [];
  let errors: RowError[] = [];
  let warnings: RowWarning[] = [];
  let pendingBytes = 0; // of the records gathered since the last flush
  const file = new UploadReadStream(db, job.id);
  // The write of the last scored batch, if any; the next write starts only once it has succeeded.
  let writing: Promise<void> | undefined;

  const write = async (
    batch: { errors: RowError[]; warnings: RowWarning[]; rows: number; bytesRead: number },
    scored: RowTicket[],
  ) => {
    await db.transaction(async (tx) => {
      const done = await storeBatch(tx, deps.search, scored, job.id);
      const byRow = (a: { row: number }, b: { row: number }) => a.row - b.row;
      const errors = [...batch.errors, ...done.errors].sort(byRow);
      const warnings = [...batch.warnings, ...done.warnings].sort(byRow);
      const moved = await tx.query(
        `UPDATE jobs SET checkpoint = $2, rows_read = $2, rows_scored = rows_scored + $3,
           rows_indexed = rows_indexed + $4, bytes_read = $5, error_count = error_count + $6,
           errors = CASE WHEN jsonb_array_length(errors) >= $10 THEN errors ELSE errors || $7::jsonb END,
           warning_count = warning_count + $8,
           warnings = CASE WHEN jsonb_array_length(warnings) >= $10 THEN warnings ELSE warnings || $9::jsonb END,
           updated_at = now()
         WHERE id = $1 AND run_id = $11
         RETURNING id`,
        [
          job.id,
          batch.rows,
          done.stored,
          done.indexed,
          batch.bytesRead,
          errors.length,
          JSON.stringify(errors),
          warnings.length,
          JSON.stringify(warnings),
          MAX_STORED_ROW_ISSUES,
          runId,
        ],
      );
      // Rolls the batch back: the run that took over writes these rows itself.
      if (moved.rows.length === 0) throw new JobSupersededError();
    });
  };

  // Scores the rows gathered so far while the previous batch is still being written, then queues their write.
  // `rows`: the checkpoint, the data rows the batch covers from the file's start.
  const flush = async (rows = row) => {
    // The reader runs ahead of the parser by its buffers: close enough for a progress bar.
    const batch = { tickets, errors, warnings, rows, bytesRead: file.bytesRead };
    tickets = [];
    errors = [];
    warnings = [];
    pendingBytes = 0;
    const scored = (
      await scoreTickets(
        ml,
        batch.tickets.map((t) => t.ticket),
      )
    ).map((s, i) => ({ ...s, row: batch.tickets[i]!.row }));
    await writing;
    writing = write(batch, scored);
    // Awaited by the next flush or at the end; until then its rejection must not count as unhandled.
    writing.catch(() => undefined);
  };

  // A flush's error, kept: leaving the loop on it destroys the streams behind it, and the pipeline then
  // rejects with their AbortError instead (the job's reason would be "The operation was aborted").
  let failure: unknown;
  const kept = (err: unknown): never => {
    failure ??= err;
    throw err;
  };

  const parser = parse({
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });

  try {
    await pipeline(file, decoder(charset), parser, async function (records: AsyncIterable<string[]>) {
      for await (const record of records) {
        if (!header) {
          header = record.map((h) => h.trim());
          continue;
        }
        const index = row++;
        if (index < resumeAt) continue;
        // A record that would take the batch past its bytes starts the next one (checkpoint before it).
        const bytes = record.reduce((n, cell) => n + Buffer.byteLength(cell), 0);
        if (pendingBytes > 0 && pendingBytes + bytes > batchBytes) {
          await flush(index).catch(kept);
          if (job.signal?.aborted) {
            interrupted = true;
            break;
          }
        }
        pendingBytes += bytes;
        if (record.length !== header.length) {
          errors.push({ row: index + 1, error: `expected ${header.length} columns, got ${record.length}` });
        } else {
          const mapped = mapRow(
            record.map((cell, i) => [header![i] as string, cell] as const),
            job.mapping,
          );
          if (mapped.ok) {
            tickets.push({ row: index + 1, ticket: mapped.ticket });
            for (const w of mapped.warnings) warnings.push({ row: index + 1, warning: w });
          } else errors.push({ row: index + 1, error: mapped.error });
        }
        if (tickets.length >= batchRows || errors.length >= batchRows) {
          await flush().catch(kept);
          if (job.signal?.aborted) {
            interrupted = true;
            break;
          }
        }
      }
    });
    if (!interrupted) await flush();
    await writing;
  } catch (err) {
    // The attempt ends only after its last write has: a retry must not overlap it.
    await writing?.catch(() => undefined);
    // Leaving the loop early destroys the streams behind it (an AbortError): that is the stop itself.
    if (!interrupted) throw failure ?? err;
  }
  // Stopped at a checkpoint: the rows after it are read again by whichever worker resumes the job.
  if (interrupted) throw new JobInterruptedError();
  // A completed job's tickets are all searchable.
  await deps.search.refresh();
  await completeJob(db, job.id);
}
