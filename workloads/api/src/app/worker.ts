// PLACEHOLDER (replaced by the worker work): the ingest worker process.
import type { ApiConfig } from '../config.js';

export async function startWorker(_config: ApiConfig): Promise<{ close(): Promise<void> }> {
  throw new Error('worker not built yet');
}
