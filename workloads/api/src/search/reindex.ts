// The `reindex` role (REINDEX_ARGS): rebuilds the tenant's OpenSearch index from its database, the source
// of truth, after a restore from backup or an OpenSearch incident. The index is deleted and created again
// (the backend's own mappings), then every stored ticket goes through the ingest's index(), in id order.
// The Postgres backend has nothing to rebuild: its vectors are generated columns of the rows.
import type { Logger } from 'pino';
import { createDeps, type BuiltDeps } from '../app/adapters.js';
import type { ApiConfig } from '../config.js';
import { DEFAULT_BATCH_BYTES } from '../ingest/csv-job.js';
import type { Db } from '../store/db.js';
import { ticketsToIndex } from '../store/tickets-read.js';
import { DocumentsRefusedError, OpenSearchSearch } from './opensearch.js';

export interface ReindexOptions {
  /** Tickets read and indexed at once. */
  batchTickets?: number;
  /** A batch also closes once its tickets hold this many bytes of text (one ticket at least). */
  batchBytes?: number;
}

export interface ReindexResult {
  batches: number;
  indexed: number;
  /** Tickets the index refused for their own values; every other ticket was indexed. */
  refused: { id: string; reason: string }[];
  seconds: number;
}

export async function reindex(
  deps: { db: Pick<Db, 'query'>; search: OpenSearchSearch; log: Logger },
  options: ReindexOptions = {},
): Promise<ReindexResult> {
  const { db, search, log } = deps;
  const batchTickets = options.batchTickets ?? 500;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  await search.recreate();
  log.info({ index: search.indexName }, 'search index emptied; rebuilding it from the database');
  let batches = 0;
  let indexed = 0;
  const refused: ReindexResult['refused'] = [];
  for (let after = ''; ;) {
    const batch = await ticketsToIndex(db, after, batchTickets, batchBytes);
    if (batch.length === 0) break;
    after = batch.at(-1)!.ticket.id;
    try {
      indexed += await search.index(batch);
    } catch (err) {
      if (!(err instanceof DocumentsRefusedError)) throw err;
      // The batch's other documents were written; the refused ones fail the run once all are done.
      for (const { at, reason } of err.refused) {
        const id = batch[at]!.ticket.id;
        refused.push({ id, reason });
        log.error({ ticket: id, reason }, 'ticket not indexed: the index refused its document');
      }
      indexed += batch.length - err.refused.length;
    }
    batches++;
    log.info({ batches, indexed, refused: refused.length, seconds: seconds() }, 'reindex progress');
  }
  await search.refresh();
  return { batches, indexed, refused, seconds: seconds() };
}

/** `node dist/main.js reindex`: returns the exit status, 0 once every stored ticket is indexed. */
export async function runReindex(config: ApiConfig): Promise<number> {
  let built: BuiltDeps | undefined;
  try {
    // The rebuild needs no queue: without REDIS_URL createDeps connects to no Redis.
    built = await createDeps({ ...config, REDIS_URL: undefined });
    const { db, search, log } = built.deps;
    if (!(search instanceof OpenSearchSearch)) {
      log.info(
        { backend: search.name },
        'reindex: nothing to rebuild, the Postgres search backend indexes tickets as they are stored',
      );
      return 0;
    }
    const r = await reindex({ db, search, log }, { batchBytes: config.INGEST_BATCH_BYTES });
    const summary = { batches: r.batches, indexed: r.indexed, refused: r.refused.length, seconds: r.seconds };
    if (r.refused.length > 0) {
      log.error(
        summary,
        `reindex finished with errors: ${r.indexed} tickets indexed, ${r.refused.length} refused by the index (logged above)`,
      );
      return 1;
    }
    log.info(summary, `reindex finished: ${r.indexed} tickets indexed`);
    return 0;
  } catch (err) {
    const line = `reindex failed: ${err instanceof Error ? err.message : String(err)}`;
    if (built) built.deps.log.error({ err }, line);
    else console.error(line);
    return 1;
  } finally {
    await built?.close();
  }
}
