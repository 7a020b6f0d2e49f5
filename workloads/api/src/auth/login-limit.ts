// Login attempts are counted in Redis per email and per client address, so every API replica
// shares the same budget and a password cannot be guessed faster by spreading requests.
import type { Redis } from 'ioredis';

export class LoginLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly max = 10,
    private readonly windowSeconds = 300,
  ) {}

  /** Counts an attempt; false when the key is over budget for the current window. */
  async allow(keys: string[]): Promise<boolean> {
    let ok = true;
    for (const k of keys) {
      const key = `${this.prefix}login:${k}`;
      const [[, n]] = (await this.redis.multi().incr(key).expire(key, this.windowSeconds, 'NX').exec()) as [[unknown, number]];
      if (n > this.max) ok = false;
    }
    return ok;
  }
}
