// Ingest: JSON batches are scored in the request; CSV files are streamed into the tenant's database
// (upload_chunks) and queued as jobs, so a worker in another pod can read them.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';
import { charsetSchema, type CsvJobOptions } from '../ingest/csv-options.js';
import { ingestJsonBatch, jsonTicket } from '../ingest/json-batch.js';
import { writeUploadChunks } from '../ingest/upload-chunks.js';
import { receiveCsvUpload } from '../ingest/upload.js';
import {
  createUploadingJob,
  discardUploadingJob,
  failJob,
  getJob,
  queueUploadedJob,
  sweepStaleUploads,
} from '../store/jobs.js';
import type { JobView } from './jobs.js';

// An upload that has stored nothing for this long lost its API process: its chunks are deleted.
const STALE_UPLOAD_SECONDS = 3600;

const jsonBatchOf = <T extends z.ZodType>(item: T) => z.object({ tickets: z.array(item).min(1).max(1000) });
/** The route checks the batch's size only: items are checked one by one, each failing only its own row. */
export const ingestJsonBody = jsonBatchOf(z.unknown());
/** The same body as documented, each item with the schema it is checked against. */
export const ingestJsonBodyDocumented = jsonBatchOf(jsonTicket);

/**
 * The multipart form of a CSV upload, for the document: the route reads it as a stream
 * (ingest/upload.ts), `mapping` and `charset` before `file`, with the same charset and mapping schemas.
 */
export const csvUploadForm = z.object({
  mapping: z
    .string()
    .optional()
    .meta({
      description: 'partial column mapping (JSON), sent before the file',
      contentMediaType: 'application/json',
      contentSchema: { $ref: '#/components/schemas/ColumnMapping' },
    }),
  charset: charsetSchema.optional().describe('sent before the file; sniffed when absent'),
  file: z
    .string()
    .meta({ description: 'the export, at most MAX_UPLOAD_BYTES', contentMediaType: 'text/csv' }),
});

export function ingestRoutes(deps: AppDeps): Router {
  const { db, config, log } = deps;
  const r = new Router({ prefix: '/v1' });
  r.post('/ingest/json', requireRole('analyst'), async (ctx) => {
    const { tickets } = parseOr400(ingestJsonBody, ctx.request.body ?? {});
    ctx.status = 201;
    ctx.body = (await ingestJsonBatch(deps, tickets, principalOf(ctx).subject)) satisfies JobView;
  });
  r.post('/ingest/csv', requireRole('analyst'), async (ctx) => {
    const id = randomUUID();
    const createdBy = principalOf(ctx).subject;
    await sweepStaleUploads(db, STALE_UPLOAD_SECONDS);
    const upload = await receiveCsvUpload(ctx.req, {
      maxBytes: config.MAX_UPLOAD_BYTES,
      sink: {
        async store(file, stream) {
          const options: CsvJobOptions = {
            storage: 'database',
            charset: file.charset,
            mapping: file.mapping,
          };
          await createUploadingJob(db, id, file.filename, options, createdBy);
          return writeUploadChunks(db, id, stream, { quotaBytes: config.UPLOAD_QUOTA_BYTES });
        },
        discard: () => discardUploadingJob(db, id),
      },
    });
    try {
      await queueUploadedJob(db, id, upload.bytes);
    } catch (err) {
      await discardUploadingJob(db, id).catch(() => undefined);
      throw err;
    }
    // Read before enqueueing: the in-process queue may start the job before this request answers.
    const view = await getJob(db, id);
    try {
      await deps.queue.enqueue(id);
    } catch (err) {
      log.error({ err, jobId: id }, 'could not enqueue an ingest job');
      // Failing the job deletes its upload.
      await failJob(db, id, 'the job queue was unavailable; upload the file again');
      fail(503, 'the job queue is unavailable; try again shortly');
    }
    ctx.status = 202;
    ctx.body = view;
  });
  return r;
}
