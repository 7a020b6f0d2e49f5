// Fixed-window counters behind the API's budgets (login attempts, questions, LLM answers). With Redis
// every API replica shares a count, so a budget cannot be multiplied by spreading requests over pods;
// local mode (one process) counts in memory.
import type { Redis } from 'ioredis';

export interface WindowCounter {
  /** Increments `key` and returns the count within the window that the first increment opened. */
  incr(key: string, windowSeconds: number): Promise<number>;
  /** The count of `key` in its current window; 0 when there is none. */
  get(key: string): Promise<number>;
}

/** Keys live under `prefix` (the tenant's Redis key prefix, which its ACL user is confined to). */
export function redisCounter(redis: Redis, prefix: string): WindowCounter {
  const k = (key: string) => `${prefix}${key}`;
  return {
    async incr(key, windowSeconds) {
      const [[, n]] = (await redis.multi().incr(k(key)).expire(k(key), windowSeconds, 'NX').exec()) as [
        [unknown, number],
      ];
      return n;
    },
    async get(key) {
      return Number((await redis.get(k(key))) ?? 0);
    },
  };
}

export function memoryCounter(now: () => number = Date.now): WindowCounter {
  const windows = new Map<string, { count: number; until: number }>();
  const sweep = (t: number) => {
    for (const [k, w] of windows) if (w.until <= t) windows.delete(k);
  };
  return {
    async incr(key, windowSeconds) {
      const t = now();
      sweep(t);
      const w = windows.get(key) ?? { count: 0, until: t + windowSeconds * 1000 };
      w.count++;
      windows.set(key, w);
      return w.count;
    },
    async get(key) {
      sweep(now());
      return windows.get(key)?.count ?? 0;
    },
  };
}
