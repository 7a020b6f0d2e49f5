// PLACEHOLDER (replaced by the search work): picks the search adapter.
import type { Logger } from 'pino';
import type { ApiConfig } from '../config.js';
import type { Db } from '../store/db.js';
import type { SearchBackend } from './backend.js';

export function createSearch(_config: ApiConfig, _db: Db, _log: Logger): SearchBackend {
  return {
    name: 'postgres',
    ensure: async () => undefined,
    index: async (items) => items.length,
    search: async () => {
      throw new Error('search not built yet');
    },
    ready: async () => true,
    close: async () => undefined,
  };
}
