// Processes one uploaded Jira CSV as a stream from the database (never the whole file in memory), in
// batches of rows. Two stages overlap: while batch k is being written (indexed for search, then stored
// with the job's checkpoint in one transaction), batch k+1 is parsed and scored by the ML service.
// Writes run strictly in order, one at a time, so the checkpoint only ever moves over durably written
// rows: after a crash the job resumes at the checkpoint, and the idempotent upserts (Postgres and the
// search index, both keyed by ticket id) make a re-processed batch harmless.
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { mapRow, type ColumnMapping, type TicketInput } from '../jira/mapping.js';
import type { MlClient } from '../ml-client.js';
import { JobInterruptedError } from '../queue/queue.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';
import { completeJob } from '../store/jobs.js';
import { upsertTickets, type ScoredTicket } from '../store/tickets.js';
import { decoder, detectCharset, type Charset } from './decode.js';
import { readUploadHead, UploadReadStream } from './upload-chunks.js';

export interface RowError {
  row: number;
  error: string;
}

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
}

// The job row keeps the first errors for the UI; the count is always exact.
const MAX_STORED_ERRORS = 1000;
// One cell may be large (logs pasted into a description), but a record past this is a broken file.
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
// How much of the file the charset sniff looks at.
const SNIFF_BYTES = 64 * 1024;

export async function scoreTickets(ml: MlClient, tickets: TicketInput[]): Promise<ScoredTicket[]> {
  const texts = tickets.flatMap((t) => t.comments.map((c) => c.text));
  const scored = texts.length ? await ml.sentiment(texts) : [];
  const embeddings = tickets.length
    ? await ml.embeddings(tickets.map((t) => `${t.summary}\n${t.description}`.trim() || t.id))
    : [];
  let k = 0;
  return tickets.map((ticket, i) => ({
    ticket,
    sentiment: ticket.comments.map(() => scored[k++]!),
    embedding: embeddings[i] ?? null,
  }));
}

export async function runCsvJob(deps: IngestDeps, job: CsvJob): Promise<void> {
  const { db, ml } = deps;
  const batchRows = deps.batchRows ?? 64;
  const [state] = (
    await db.query<{ checkpoint: number }>(
      `UPDATE jobs SET state = 'running', failure = NULL, updated_at = now() WHERE id = $1 RETURNING checkpoint`,
      [job.id],
    )
  ).rows;
  if (!state) throw new Error(`job ${job.id} does not exist`);
  const resumeAt = state.checkpoint;
  const charset =
    job.charset ?? detectCharset((await readUploadHead(db, job.id, SNIFF_BYTES)) ?? Buffer.alloc(0));

  let header: string[] | null = null;
  let row = 0; // data rows seen, header excluded
  let interrupted = false;
  let tickets: TicketInput[] = [];
  let errors: RowError[] = [];
  const file = new UploadReadStream(db, job.id);
  // The write of the last scored batch, if any; the next write starts only once it has succeeded.
  let writing: Promise<void> | undefined;

  const write = async (
    batch: { errors: RowError[]; rows: number; bytesRead: number },
    scored: ScoredTicket[],
  ) => {
    const indexed = await deps.search.index(scored);
    await db.transaction(async (tx) => {
      await upsertTickets(tx, scored, job.id);
      await tx.query(
        `UPDATE jobs SET checkpoint = $2, rows_read = $2, rows_scored = rows_scored + $3,
           rows_indexed = rows_indexed + $7, error_count = error_count + $4, bytes_read = $8,
           errors = CASE WHEN jsonb_array_length(errors) >= $5 THEN errors
                         ELSE errors || $6::jsonb END,
           updated_at = now()
         WHERE id = $1`,
        [
          job.id,
          batch.rows,
          scored.length,
          batch.errors.length,
          MAX_STORED_ERRORS,
          JSON.stringify(batch.errors),
          indexed,
          batch.bytesRead,
        ],
      );
    });
  };

  // Scores the rows gathered so far while the previous batch is still being written, then queues their write.
  const flush = async () => {
    // The reader runs ahead of the parser by its buffers: close enough for a progress bar.
    const batch = { tickets, errors, rows: row, bytesRead: file.bytesRead };
    tickets = [];
    errors = [];
    const scored = await scoreTickets(ml, batch.tickets);
    await writing;
    writing = write(batch, scored);
    // Awaited by the next flush or at the end; until then its rejection must not count as unhandled.
    writing.catch(() => undefined);
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
        if (record.length !== header.length) {
          errors.push({ row: index + 1, error: `expected ${header.length} columns, got ${record.length}` });
        } else {
          const mapped = mapRow(
            record.map((cell, i) => [header![i] as string, cell] as const),
            job.mapping,
          );
          if (mapped.ok) {
            tickets.push(mapped.ticket);
            for (const w of mapped.warnings) errors.push({ row: index + 1, error: w });
          } else errors.push({ row: index + 1, error: mapped.error });
        }
        if (tickets.length >= batchRows || errors.length >= batchRows) {
          await flush();
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
    if (!interrupted) throw err;
  }
  // Stopped at a checkpoint: the rows after it are read again by whichever worker resumes the job.
  if (interrupted) throw new JobInterruptedError();
  // A completed job's tickets are all searchable.
  await deps.search.refresh();
  await completeJob(db, job.id);
}
