// Login attempts are counted per email and per client address. With Redis every API replica shares
// the budget, so a password cannot be guessed faster by spreading requests; local mode (one process)
// counts in memory.
import type { Redis } from 'ioredis';

export interface AttemptCounter {
  /** Increments `key` and returns the count within the window that the first increment opened. */
  incr(key: string, windowSeconds: number): Promise<number>;
}

export function redisCounter(redis: Redis, prefix: string): AttemptCounter {
  return {
    async incr(key, windowSeconds) {
      const k = `${prefix}login:${key}`;
      const [[, n]] = (await redis.multi().incr(k).expire(k, windowSeconds, 'NX').exec()) as [
        [unknown, number],
      ];
      return n;
    },
  };
}

export function memoryCounter(now: () => number = Date.now): AttemptCounter {
  const windows = new Map<string, { count: number; until: number }>();
  return {
    async incr(key, windowSeconds) {
      const t = now();
      for (const [k, w] of windows) if (w.until <= t) windows.delete(k);
      const w = windows.get(key) ?? { count: 0, until: t + windowSeconds * 1000 };
      w.count++;
      windows.set(key, w);
      return w.count;
    },
  };
}

export class LoginLimiter {
  constructor(
    private readonly counter: AttemptCounter,
    private readonly max = 10,
    private readonly windowSeconds = 300,
  ) {}

  /** Counts an attempt; false when any key is over budget for the current window. */
  async allow(keys: string[]): Promise<boolean> {
    let ok = true;
    for (const k of keys) if ((await this.counter.incr(k, this.windowSeconds)) > this.max) ok = false;
    return ok;
  }
}
