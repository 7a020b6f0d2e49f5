// Processes one uploaded Jira CSV from disk as a stream (never the whole file in memory), in batches
// of rows. Each batch is scored by the ML service, indexed for search, then written together with the
// job's checkpoint in one transaction: after a crash the job resumes at the checkpoint, and the
// idempotent upserts (Postgres and the search index, both keyed by ticket id) make a re-processed
// batch harmless.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { mapRow, type ColumnMapping, type TicketInput } from '../jira/mapping.js';
import type { MlClient } from '../ml-client.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';
import { upsertTickets, type ScoredTicket } from '../store/tickets.js';
import { decoder, detectCharset, type Charset } from './decode.js';

export interface RowError {
  row: number;
  error: string;
}

export interface CsvJob {
  id: string;
  path: string;
  charset?: Charset;
  mapping: ColumnMapping;
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

export async function scoreTickets(ml: MlClient, tickets: TicketInput[]): Promise<ScoredTicket[]> {
  const texts = tickets.flatMap((t) => t.comments.map((c) => c.text));
  const scored = texts.length ? await ml.sentiment(texts) : [];
  const embeddings = tickets.length ? await ml.embeddings(tickets.map((t) => `${t.summary}\n${t.description}`.trim() || t.id)) : [];
  let k = 0;
  return tickets.map((ticket, i) => ({
    ticket,
    sentiment: ticket.comments.map(() => scored[k++]!),
    embedding: embeddings[i] ?? null,
  }));
}

async function sniff(path: string): Promise<Charset> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return detectCharset(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
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
  const charset = job.charset ?? (await sniff(job.path));

  let header: string[] | null = null;
  let row = 0; // data rows seen, header excluded
  let batch: { row: number; ticket: TicketInput }[] = [];
  let errors: RowError[] = [];
  const file = createReadStream(job.path);

  const flush = async () => {
    const tickets = batch.map((b) => b.ticket);
    const scored = await scoreTickets(ml, tickets);
    const batchErrors = errors;
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
        // The file stream runs ahead of the parser by its buffer: close enough for a progress bar.
        [job.id, row, scored.length, batchErrors.length, MAX_STORED_ERRORS, JSON.stringify(batchErrors), indexed, file.bytesRead],
      );
    });
    batch = [];
    errors = [];
  };

  const parser = parse({
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });

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
          batch.push({ row: index, ticket: mapped.ticket });
          for (const w of mapped.warnings) errors.push({ row: index + 1, error: w });
        } else errors.push({ row: index + 1, error: mapped.error });
      }
      if (batch.length >= batchRows || errors.length >= batchRows) await flush();
    }
  });
  await flush();
  await db.query(`UPDATE jobs SET state = 'completed', updated_at = now() WHERE id = $1`, [job.id]);
}
