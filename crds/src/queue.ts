// The ingest queue as it lies in Redis: BullMQ's keys under the tenant's key prefix. The API (which
// enqueues and works the jobs) and the operator (whose KEDA trigger counts the waiting ones) both name
// them from here, so the autoscaler watches the list the jobs really wait in.
import { REDIS_SCALER_KEYS } from './names.js';

/** The BullMQ queue the API puts uploads on and the worker takes them from. */
export const INGEST_QUEUE = 'ingest';

/** BullMQ puts its own ':' after the prefix: 'tenant-a:' must become 'tenant-a', keys 'tenant-a:ingest:…'. */
export function bullmqPrefix(keyPrefix: string): string {
  return keyPrefix.replace(/:+$/, '') || keyPrefix;
}

/** The Redis list BullMQ keeps the ingest queue's waiting jobs in (`<prefix>:<queue>:wait`). */
export function ingestWaitListKey(keyPrefix: string): string {
  return `${bullmqPrefix(keyPrefix)}:${INGEST_QUEUE}:wait`;
}

/**
 * A Redis connection URL as the separate values KEDA's redis scaler reads (it takes no URL): the data
 * Secret carries both, derived from the one URL here.
 */
export function redisScalerValues(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    [REDIS_SCALER_KEYS.address]: `${u.hostname}:${u.port || '6379'}`,
    [REDIS_SCALER_KEYS.username]: decodeURIComponent(u.username),
    [REDIS_SCALER_KEYS.password]: decodeURIComponent(u.password),
    // KEDA's spelling of its `tls` authentication parameter.
    [REDIS_SCALER_KEYS.tls]: u.protocol === 'rediss:' ? 'enable' : 'disable',
  };
}
