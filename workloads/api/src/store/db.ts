// The database sits behind one narrow interface so the local mode can pass PGlite instead of pg.
// Every statement is parameterized: callers pass values in `params`, never in the SQL text.
import pg from 'pg';

export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
  /** Runs `fn` in one transaction on one connection. */
  transaction<R>(fn: (tx: Pick<Db, 'query'>) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** Connection settings that keep a Postgres failover from hanging or killing the process. */
export const PG_TIMEOUTS = {
  /** A server that does not answer a connect (a failover in progress) fails the request instead of hanging. */
  connectMs: 10_000,
  /** The session's statement_timeout when the role sets none (the operator's roles set the same). */
  statementMs: 60_000,
} as const;

export interface PgDbOptions {
  max?: number;
  /** Connect timeout (default PG_TIMEOUTS.connectMs). */
  connectMs?: number;
  /** Told about a pooled connection the server dropped while idle (failover, pg_terminate_backend). */
  onIdleError?: (err: Error) => void;
}

export function createPgDb(connectionString: string, options: PgDbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectMs ?? PG_TIMEOUTS.connectMs,
    statement_timeout: PG_TIMEOUTS.statementMs,
  });
  // An idle connection the server closes is an 'error' event on the pool: without a listener it is an
  // uncaught exception that ends the process. The pool has already discarded that connection.
  pool.on('error', (err) => options.onIdleError?.(err));
  return {
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows as T[] };
    },
    async transaction(fn) {
      const client = await pool.connect();
      // A connection that fails under the transaction is destroyed, not handed to the next caller. A checked-out
      // client reports the loss as an 'error' event too, which would be uncaught without this listener.
      let broken: Error | undefined;
      const lost = (err: Error) => (broken = err);
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const out = await fn({
          async query<T>(sql: string, params: readonly unknown[] = []) {
            const r = await client.query(sql, params as unknown[]);
            return { rows: r.rows as T[] };
          },
        });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
        throw err;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
