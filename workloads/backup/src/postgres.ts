// How the tool reaches the tenant's database: pg_dump and pg_restore (libpq) and the `pg` client for the
// backup's metadata, all from the one DATABASE_URL, which must never reach a log line.
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';

interface LibpqTarget {
  /** DATABASE_URL without its password, for --dbname. */
  dbname: string;
  /** The child's environment: the password in PGPASSWORD, PGSSLROOTCERT as configured. */
  env: NodeJS.ProcessEnv;
}

/**
 * The password goes to libpq through the environment rather than the command line, where any process
 * in the pod could read it from /proc/<pid>/cmdline.
 */
export function libpqTarget(databaseUrl: string, pgSslRootCert: string | undefined): LibpqTarget {
  const url = new URL(databaseUrl);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (pgSslRootCert !== undefined) env.PGSSLROOTCERT = pgSslRootCert;
  if (url.password) {
    env.PGPASSWORD = decodeURIComponent(url.password);
    url.password = '';
  }
  return { dbname: url.toString(), env };
}

/**
 * The URL for the `pg` client, which does not read PGSSLROOTCERT: a CA file becomes its sslrootcert
 * parameter; `system` (libpq's "the system's roots") is Node's default trust, so it is dropped.
 */
export function pgClientUrl(databaseUrl: string, pgSslRootCert: string | undefined): string {
  const url = new URL(databaseUrl);
  if (url.searchParams.get('sslrootcert') === 'system') url.searchParams.delete('sslrootcert');
  else if (pgSslRootCert && pgSslRootCert !== 'system' && !url.searchParams.has('sslrootcert'))
    url.searchParams.set('sslrootcert', pgSslRootCert);
  return url.toString();
}

/**
 * A `pg` client of the tenant's database, for the few queries the tool makes besides pg_dump/pg_restore
 * (the server's version, a row count). Not connected yet; `extra` adds settings such as a statement timeout.
 */
export function pgClient(
  config: { databaseUrl: string; pgSslRootCert: string | undefined },
  extra: pg.ClientConfig = {},
): pg.Client {
  const client = new pg.Client({
    connectionString: pgClientUrl(config.databaseUrl, config.pgSslRootCert),
    connectionTimeoutMillis: 30_000,
    application_name: 'sentiment-backup',
    ...extra,
  });
  client.on('error', () => {}); // a dropped connection after the queries: nothing to do
  return client;
}

/** `text` with the URL and its password masked, for error messages built from a child's stderr. */
export function redact(text: string, databaseUrl: string): string {
  let out = text.split(databaseUrl).join('***');
  try {
    const password = new URL(databaseUrl).password;
    // A very short password would mask half the message; libpq does not print passwords anyway.
    for (const secret of new Set([password, decodeURIComponent(password)]))
      if (secret.length >= 4) out = out.split(secret).join('***');
  } catch {
    // Not a URL: config validation has refused it already.
  }
  return out;
}

const TAIL_CHARS = 4000;
const TAIL_LINES = 6;

/** The end of a child's stderr, for the one-line error that says why it failed. */
export function collectStderr(child: ChildProcess, databaseUrl: string): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL_CHARS);
  });
  return () =>
    redact(
      tail
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .slice(-TAIL_LINES)
        .join(' | '),
      databaseUrl,
    );
}

/** How a child ended, in words: `exited with code 1`, `was killed by SIGTERM`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
}
