// The model cache's build lock, shared by parallel test processes, image builds and `npm run build:model`.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';

/**
 * Runs fn holding the cache's build lock. The holder refreshes the lock's mtime while it works, so the lock
 * of a build that died (a killed test run, a crashed machine) goes stale within a minute instead of
 * blocking every later build.
 */
export async function withLock<T>(lockfilePath: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockfilePath), { recursive: true });
  const release = await lock(dirname(lockfilePath), {
    lockfilePath,
    stale: 60_000,
    update: 10_000,
    retries: { forever: true, minTimeout: 1_000, maxTimeout: 5_000 },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}
