// Local mode's database: PGlite, the real Postgres compiled to WASM, in-process and persisted to a
// directory. It is one connection, so transactions serialize; that suits one analyst on a laptop.
import { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.js';

type Queryable = Pick<PGlite, 'query' | 'exec'>;

// PGlite's query() uses the extended protocol, which takes one statement; migrations are scripts of
// many, so parameterless SQL goes through exec() (the simple protocol), as node-postgres does.
async function run<T>(q: Queryable, sql: string, params: readonly unknown[]): Promise<{ rows: T[] }> {
  if (params.length === 0) {
    const results = await q.exec(sql);
    return { rows: (results.at(-1)?.rows ?? []) as T[] };
  }
  const r = await q.query<T>(sql, params as unknown[]);
  return { rows: r.rows };
}

/** `dataDir` undefined keeps the database in memory (tests); otherwise it persists there. */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const pg = await PGlite.create(dataDir);
  return {
    query: <T>(sql: string, params: readonly unknown[] = []) => run<T>(pg, sql, params),
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({ query: <T>(sql: string, params: readonly unknown[] = []) => run<T>(tx, sql, params) }),
      ),
    close: () => pg.close(),
  };
}
