// `restore`: one backup under the tenant's prefix streamed from S3 into pg_restore. pg_restore runs in a
// single transaction, so a dump that turns out corrupt halfway, or a read from S3 that fails, leaves the
// database as it was: pg_restore is killed before its input ends, and the server rolls back.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LATEST_BACKUP } from '@sentiment/crds';
import type { Logger } from 'pino';
import type { RestoreConfig } from './config.js';
import { collectStderr, describeExit, libpqTarget } from './postgres.js';
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

export async function runRestore(config: RestoreConfig, deps: RestoreDeps): Promise<RestoreResult> {
  const { s3, log, signal } = deps;
  const started = performance.now();
  signal?.throwIfAborted();
  const key = await resolveRestoreKey(config, s3);
  log.info({ bucket: config.bucket, key, requested: config.key }, 'restore started');

  const body = await getBody(config, s3, key, signal);
  const { dbname, env } = libpqTarget(config.databaseUrl, config.pgSslRootCert);
  const child = spawn(config.pgRestore, [...PG_RESTORE_ARGS, `--dbname=${dbname}`], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const stderrTail = collectStderr(child, config.databaseUrl);
  let bytes = 0;
  let inputError: Error | undefined;
  // Kill pg_restore before its stdin closes: a closed stdin would read as the end of a (short) dump.
  const stop = (err: Error) => {
    inputError ??= err;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    body.destroy();
  };
  body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  body.once('error', (err) => stop(new Error(`reading s3://${config.bucket}/${key} failed: ${err.message}`)));
  // EPIPE when pg_restore exits early; its exit status and stderr say why.
  child.stdin.on('error', () => {});
  body.pipe(child.stdin);
  const onAbort = () => stop(new Error(`restore interrupted (${String(signal?.reason)})`));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', (err) => {
          body.destroy();
          reject(new Error(`could not run ${config.pgRestore}: ${err.message}`));
        });
        child.once('close', (c, s) => resolve([c, s]));
      },
    );
    if (inputError) throw new Error(`${inputError.message}; pg_restore was stopped before committing`);
    if (code !== 0) {
      const tail = stderrTail();
      throw new Error(
        `pg_restore ${describeExit(code, exitSignal)} restoring ${key}${tail ? `: ${tail}` : ''}`,
      );
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
