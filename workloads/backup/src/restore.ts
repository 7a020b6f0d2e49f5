// `restore`: one backup under the tenant's prefix streamed from S3 through pg_restore into psql. The script
// runs in a single transaction, so a dump that turns out corrupt halfway, or a read from S3 that fails,
// leaves the database as it was: both are killed before their input ends, and the server rolls back.
import { spawn, type ChildProcess } from 'node:child_process';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LATEST_BACKUP } from '@sentiment/crds';
import type { Logger } from 'pino';
import type { RestoreConfig } from './config.js';
import { collectStderr, describeExit, libpqTarget, pgClient, redact } from './postgres.js';
import { backupsNewestFirst } from './retention.js';
import { listKeys } from './s3.js';

export const PG_RESTORE_ARGS = [
  '--no-owner',
  '--no-privileges',
  '--clean',
  '--if-exists',
  '--single-transaction',
  '--exit-on-error',
] as const;

/** How many available keys a "no such backup" error lists. */
const LISTED_KEYS = 5;

export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export interface RestoreDeps {
  s3: S3Client;
  log: Logger;
  /** Aborted on SIGTERM: pg_restore is killed, so its transaction rolls back. */
  signal?: AbortSignal;
}

export interface RestoreResult {
  key: string;
  bytes: number;
  durationMs: number;
}

/** A tenant restores only its own backups: a key outside its prefix is refused before anything runs. */
export function checkRestoreKey(key: string, prefix: string): void {
  if (key === LATEST_BACKUP) return;
  if (!key.startsWith(prefix) || key.length === prefix.length)
    throw new RestoreRefused(
      `refusing to restore ${key}: only keys under this tenant's prefix ${prefix} can be restored`,
    );
}

/** BACKUP_KEY as an object key: `latest` is the newest backup under the prefix. */
export async function resolveRestoreKey(config: RestoreConfig, s3: S3Client): Promise<string> {
  checkRestoreKey(config.key, config.prefix);
  if (config.key !== LATEST_BACKUP) return config.key;
  const [newest] = backupsNewestFirst(await listKeys(s3, config.bucket, config.prefix), config.prefix);
  if (!newest) throw new Error(`no backups under s3://${config.bucket}/${config.prefix} to restore`);
  return newest;
}

/**
 * pg_restore 17 begins every script with `SET transaction_timeout = 0`, a setting servers before 17 do not
 * know (ERROR: unrecognized configuration parameter), so a restore into PostgreSQL 13-16 (a tenant's own
 * database, data.postgres.secretRef) would fail on its first line. For such a server that one line of the
 * script's preamble (the SETs before the first statement) is left out; nothing after the preamble, where a
 * COPY block's data could hold the same text, is touched.
 */
export function preambleFilter(dropTransactionTimeout: boolean): Transform {
  let inPreamble = true;
  let pending = '';
  const PREAMBLE = /^(|--.*|\\restrict .*|BEGIN;|SET [a-z_]+ = .*;|SELECT pg_catalog\.set_config\(.*\);)$/;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!inPreamble) return done(null, chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const out: string[] = [];
      for (const [i, line] of lines.entries()) {
        if (inPreamble && !PREAMBLE.test(line)) {
          inPreamble = false;
          out.push(...lines.slice(i));
          break;
        }
        if (!(dropTransactionTimeout && line === 'SET transaction_timeout = 0;')) out.push(line);
      }
      let text = out.length > 0 ? `${out.join('\n')}\n` : '';
      if (!inPreamble) {
        text += pending;
        pending = '';
      }
      done(null, text);
    },
    flush(done) {
      done(null, pending);
    },
  });
}

/** The target server's major version (`server_version_num` / 10000). */
async function serverMajor(config: RestoreConfig): Promise<number> {
  const client = pgClient(config);
  await client.connect();
  try {
    const { rows } = await client.query<{ v: number }>(
      "SELECT current_setting('server_version_num')::int AS v",
    );
    const major = Math.floor(Number(rows[0]?.v) / 10_000);
    if (!Number.isInteger(major) || major < 1) throw new Error(`unexpected server_version_num ${rows[0]?.v}`);
    return major;
  } finally {
    await client.end();
  }
}

export async function runRestore(config: RestoreConfig, deps: RestoreDeps): Promise<RestoreResult> {
  const { s3, log, signal } = deps;
  const started = performance.now();
  signal?.throwIfAborted();
  const key = await resolveRestoreKey(config, s3);
  const major = await serverMajor(config).catch((err: Error) => {
    throw new Error(`could not reach the database: ${redact(err.message, config.databaseUrl)}`);
  });
  log.info({ bucket: config.bucket, key, requested: config.key, serverMajor: major }, 'restore started');

  const body = await getBody(config, s3, key, signal);
  const { dbname, env } = libpqTarget(config.databaseUrl, config.pgSslRootCert);
  // pg_restore turns the archive into a script (BEGIN … COMMIT: --single-transaction), psql runs it and
  // stops at the first error; a script cut short has no COMMIT, and the server rolls back on disconnect.
  const restore = spawn(config.pgRestore, [...PG_RESTORE_ARGS, '--file=-'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const psql = spawn(config.psql, ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--dbname=${dbname}`], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const restoreStderr = collectStderr(restore, config.databaseUrl);
  const psqlStderr = collectStderr(psql, config.databaseUrl);
  let bytes = 0;
  let inputError: Error | undefined;
  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  // Kill both before their input closes: a closed stdin would read as the end of a (short) dump.
  const stop = (err: Error) => {
    inputError ??= err;
    for (const c of [restore, psql]) if (alive(c)) c.kill('SIGTERM');
    body.destroy();
  };
  body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  body.once('error', (err) => stop(new Error(`reading s3://${config.bucket}/${key} failed: ${err.message}`)));
  // EPIPE when a child exits early; its exit status and stderr say why.
  restore.stdin.on('error', () => {});
  psql.stdin.on('error', () => {});
  body.pipe(restore.stdin);
  restore.stdout.pipe(preambleFilter(major < 17)).pipe(psql.stdin);
  const onAbort = () => stop(new Error(`restore interrupted (${String(signal?.reason)})`));
  signal?.addEventListener('abort', onAbort, { once: true });
  const exited = (c: ChildProcess, what: string) =>
    new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      c.once('error', (err) => {
        stop(new Error(`could not run ${what}: ${err.message}`));
        reject(new Error(`could not run ${what}: ${err.message}`));
      });
      c.once('close', (code, sig) => resolve([code, sig]));
    });
  try {
    const restoreExit = exited(restore, config.pgRestore);
    const psqlExit = exited(psql, config.psql);
    const [rCode, rSignal] = await restoreExit;
    // A script pg_restore could not finish must not reach psql's end of input as if it were whole.
    if (rCode !== 0 && alive(psql)) psql.kill('SIGTERM');
    const [pCode, pSignal] = await psqlExit;
    if (inputError) throw new Error(`${inputError.message}; the restore was stopped before committing`);
    if (rCode !== 0) {
      const tail = restoreStderr();
      throw new Error(
        `pg_restore ${describeExit(rCode, rSignal)} restoring ${key}${tail ? `: ${tail}` : ''}`,
      );
    }
    if (pCode !== 0) {
      const tail = psqlStderr();
      throw new Error(`psql ${describeExit(pCode, pSignal)} restoring ${key}${tail ? `: ${tail}` : ''}`);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // pg_restore may have stopped reading early (it failed): release the S3 connection.
    if (!body.readableEnded) body.destroy();
  }
  const durationMs = Math.round(performance.now() - started);
  log.info({ key, bytes, durationMs }, 'restore finished');
  return { key, bytes, durationMs };
}

async function getBody(
  config: RestoreConfig,
  s3: S3Client,
  key: string,
  signal?: AbortSignal,
): Promise<Readable> {
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: config.bucket, Key: key }),
      signal ? { abortSignal: signal } : {},
    );
    // In Node the SDK's body is an http.IncomingMessage (a Readable).
    if (!object.Body) throw new Error(`s3://${config.bucket}/${key} has no body`);
    return object.Body as Readable;
  } catch (err) {
    if ((err as { name?: unknown }).name !== 'NoSuchKey') throw err;
    const available = backupsNewestFirst(await listKeys(s3, config.bucket, config.prefix), config.prefix);
    const listed = available.slice(0, LISTED_KEYS).join(', ') || 'none';
    throw new Error(
      `no backup ${key} in s3://${config.bucket}; newest available under ${config.prefix}: ${listed}`,
    );
  }
}
