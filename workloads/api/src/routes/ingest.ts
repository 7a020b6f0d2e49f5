// Ingest: JSON batches are scored in the request; CSV files are streamed to disk and queued as jobs.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail } from '../http/errors.js';
import type { CsvJobOptions } from '../ingest/csv-options.js';
import { ingestJsonBatch } from '../ingest/json-batch.js';
import { receiveCsvUpload } from '../ingest/upload.js';
import { createJob, failJob, getJob } from '../store/jobs.js';

export function ingestRoutes(deps: AppDeps): Router {
  const { db, config, log } = deps;
  const r = new Router({ prefix: '/v1' });
  r.post('/ingest/json', requireRole('analyst'), async (ctx) => {
    const tickets = (ctx.request.body as { tickets?: unknown } | undefined)?.tickets;
    if (!Array.isArray(tickets) || tickets.length === 0 || tickets.length > 1000) {
      fail(400, 'body must be {"tickets": [...]} with 1 to 1000 tickets');
    }
    ctx.status = 201;
    ctx.body = await ingestJsonBatch(deps, tickets, principalOf(ctx).subject);
  });
  r.post('/ingest/csv', requireRole('analyst'), async (ctx) => {
    const id = randomUUID();
    const upload = await receiveCsvUpload(ctx.req, {
      dir: config.UPLOAD_DIR,
      name: id,
      maxBytes: config.MAX_UPLOAD_BYTES,
    });
    const options: CsvJobOptions = {
      path: upload.path,
      charset: upload.charset,
      mapping: upload.mapping,
      bytesTotal: upload.bytes,
    };
    try {
      await createJob(db, 'csv', upload.filename, options, principalOf(ctx).subject, id);
    } catch (err) {
      await rm(upload.path, { force: true });
      throw err;
    }
    // Read before enqueueing: the in-process queue may start the job before this request answers.
    const view = await getJob(db, id);
    try {
      await deps.queue.enqueue(id);
    } catch (err) {
      log.error({ err, jobId: id }, 'could not enqueue an ingest job');
      await failJob(db, id, 'the job queue was unavailable; upload the file again');
      await rm(upload.path, { force: true });
      fail(503, 'the job queue is unavailable; try again shortly');
    }
    ctx.status = 202;
    ctx.body = view;
  });
  return r;
}
