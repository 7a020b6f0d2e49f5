// Real services for tests: a fresh Postgres database per test file (dropped afterwards) and the real
// ML service from @sentiment/ml on a loopback port.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startLocalMl, type LocalMl } from '@sentiment/ml';
import { loadTestEnv } from '@sentiment/testenv';
import { loadConfig, type ApiConfig } from '../src/config.js';
import { createPgDb, type Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const env = loadTestEnv();
  const name = `api_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: env.DATABASE_URL });
  await admin.connect();
  // Identifiers cannot be parameters; `name` is built here from [a-z0-9_] only.
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${name}`;
  // A generous connect timeout: another test in this ava worker can hold the event loop for seconds (PGlite's
  // WASM start), and a connect timer firing late fails a test that is not about connecting.
  const db = createPgDb(url.toString(), { max: 4, connectMs: 60_000 });
  await migrate(db);
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The real ML service, with its model built first if this machine has none yet. */
export function startMl(): Promise<LocalMl> {
  return startLocalMl({ threads: 1 });
}

/** A valid config for tests: local mode unless the overrides name the real services. */
export function testConfig(overrides: Record<string, string> = {}): ApiConfig {
  return loadConfig({
    SENTIMENT_PLATFORM: 'test',
    // What the operator sets in a cluster (tests that turn LOCAL_MODE off need them).
    SENTIMENT_NAMESPACE: 'test',
    SENTIMENT_PLATFORM_UID: 'test-uid',
    LOCAL_MODE: 'true',
    JWT_SECRET: 'k'.repeat(40),
    ML_URL: 'http://127.0.0.1:9',
    ...overrides,
  });
}

/** Deletes the test Redis keys under `prefixes` (a test file's own random ones), nothing else. */
export async function deleteRedisKeys(prefixes: string[]): Promise<void> {
  const redis = new Redis(loadTestEnv().REDIS_URL);
  try {
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
