// Picks the search adapter: OpenSearch when the tenant has one (OPENSEARCH_URL), else Postgres
// full-text search over the same database (local mode).
import type { Logger } from 'pino';
import type { ApiConfig } from '../config.js';
import type { Db } from '../store/db.js';
import type { SearchBackend } from './backend.js';
import { OpenSearchSearch } from './opensearch.js';
import { PostgresSearch } from './postgres.js';

export function createSearch(config: ApiConfig, db: Db, log: Logger): SearchBackend {
  if (config.OPENSEARCH_URL)
    return new OpenSearchSearch({
      url: config.OPENSEARCH_URL,
      indexPrefix: config.OPENSEARCH_INDEX_PREFIX,
      db,
      log,
    });
  return new PostgresSearch(db);
}
