// `backup`: pg_dump's custom format streamed to S3, checked, then the old backups beyond BACKUP_RETAIN
// deleted. A dump that fails at any point must not be left as a backup, since `latest` would restore it:
// the upload's body ends only when pg_dump exits 0, and is destroyed with pg_dump's error otherwise, so
// lib-storage never sends the PutObject (one part) or aborts the multipart upload (more).
import { execFile, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { backupKey } from '@sentiment/crds';
import type { Logger } from 'pino';
import type { BackupConfig } from './config.js';
import { errorMessage } from './log.js';
import { collectStderr, describeExit, libpqTarget, pgClient, redact } from './postgres.js';
import { keysToDelete } from './retention.js';
import { deleteKeys, listKeys } from './s3.js';

export const PG_DUMP_ARGS = ['--format=custom', '--no-owner', '--no-privileges'] as const;

/**
 * Part size of the multipart upload: S3 allows 10,000 parts, so 32 MiB parts take dumps up to 312 GiB,
 * with at most QUEUE_SIZE + 1 parts in memory.
 */
export const PART_SIZE = 32 * 1024 * 1024;
const QUEUE_SIZE = 2;

export interface BackupDeps {
  s3: S3Client;
  log: Logger;
  /** Aborted on SIGTERM: pg_dump is killed and the upload aborted. */
  signal?: AbortSignal;
  now?: () => Date;
  /** Tests make multipart uploads with small dumps (S3's minimum is 5 MiB). */
  partSize?: number;
}

export interface BackupResult {
  key: string;
  bytes: number;
  durationMs: number;
  /** Old backups deleted by retention. */
  deleted: string[];
  metadata: Record<string, string>;
}

/** The backup is in S3 (at `key`), but applying retention failed: not worth a retry that dumps again. */
export class RetentionError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`the backup is safe at ${key}, but retention failed: ${(cause as Error).message}`, { cause });
  }
}

export async function runBackup(config: BackupConfig, deps: BackupDeps): Promise<BackupResult> {
  const { s3, log, signal } = deps;
  const started = performance.now();
  signal?.throwIfAborted();
  const key = backupKey(config.prefix, (deps.now ?? (() => new Date()))());
  log.info({ bucket: config.bucket, key }, 'backup started');

  const metadata = await dumpMetadata(config, log);
  signal?.throwIfAborted();

  const dump = startDump(config);
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: config.bucket,
      Key: key,
      Body: dump.body,
      ContentType: 'application/octet-stream',
      Metadata: metadata,
    },
    partSize: deps.partSize ?? PART_SIZE,
    queueSize: QUEUE_SIZE,
  });
  // Failing the body rather than calling upload.abort(): abort() settles done() at once, before the
  // AbortMultipartUpload request is sent, and the process would exit with the parts left behind.
  const onAbort = () => dump.fail(new Error(`backup interrupted (${String(signal?.reason)})`));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } catch (err) {
    // An S3 failure leaves pg_dump blocked on a full pipe: end it.
    dump.kill();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const bytes = dump.bytes();
  await verifyUpload(s3, config.bucket, key, bytes);
  const durationMs = Math.round(performance.now() - started);
  log.info({ key, bytes, durationMs }, 'backup uploaded');

  let deleted: string[];
  try {
    deleted = keysToDelete(await listKeys(s3, config.bucket, config.prefix), {
      prefix: config.prefix,
      retain: config.retain,
      keep: key,
    });
    await deleteKeys(s3, config.bucket, deleted);
  } catch (err) {
    throw new RetentionError(key, err);
  }
  log.info({ key, retain: config.retain, deleted }, 'retention applied');
  return { key, bytes, durationMs, deleted, metadata };
}

interface RunningDump {
  body: PassThrough;
  bytes(): number;
  /** Destroys the body with `err` (unless it has ended) and kills pg_dump. */
  fail(err: Error): void;
  kill(): void;
}

function startDump(config: BackupConfig): RunningDump {
  const { dbname, env } = libpqTarget(config.databaseUrl, config.pgSslRootCert);
  const child = spawn(config.pgDump, [...PG_DUMP_ARGS, `--dbname=${dbname}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail = collectStderr(child, config.databaseUrl);
  const body = new PassThrough();
  // The error reaches the caller through the upload; this listener only keeps one raised after the
  // upload stopped reading (an S3 failure, then pg_dump killed) from crashing the process.
  body.on('error', () => {});
  let bytes = 0;
  let settled = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const fail = (err: Error) => {
    kill();
    if (settled) return;
    settled = true;
    body.destroy(err);
  };
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  // end: false: the body ends on pg_dump's exit status, not on the end of its output.
  child.stdout.pipe(body, { end: false });
  child.once('error', (err) => fail(new Error(`could not run ${config.pgDump}: ${err.message}`)));
  // 'close' comes after the exit and the end of stdout, so every byte is in the body by then.
  child.once('close', (code, signal) => {
    const tail = stderrTail();
    if (code === 0 && bytes > 0) {
      if (!settled) {
        settled = true;
        body.end();
      }
    } else if (code === 0) fail(new Error('pg_dump exited with code 0 but wrote nothing'));
    else fail(new Error(`pg_dump ${describeExit(code, signal)}${tail ? `: ${tail}` : ''}`));
  });
  return { body, bytes: () => bytes, fail, kill };
}

/** The object must be there with every byte pg_dump wrote; one that is not is deleted, not kept. */
async function verifyUpload(s3: S3Client, bucket: string, key: string, bytes: number): Promise<void> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (head.ContentLength === bytes) return;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  throw new Error(
    `uploaded ${key} has ${head.ContentLength ?? 'no'} bytes, pg_dump wrote ${bytes}: deleted it`,
  );
}

const run = promisify(execFile);

/**
 * What a restore wants to know before it starts: which pg_dump wrote the dump, from which server, and
 * roughly how much data (tickets' rows, counted before the dump). Best effort: the dump does not depend
 * on it, and a database pg_dump cannot reach fails the dump with pg_dump's own error.
 */
async function dumpMetadata(config: BackupConfig, log: Logger): Promise<Record<string, string>> {
  const metadata: Record<string, string> = { format: 'custom' };
  try {
    const { stdout } = await run(config.pgDump, ['--version'], { timeout: 30_000 });
    metadata['pg-dump-version'] = headerValue(stdout);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'pg_dump --version failed');
  }
  // A count over a large table must not hold up the backup for long.
  const client = pgClient(config, { statement_timeout: 60_000 });
  try {
    await client.connect();
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    metadata['server-version'] = headerValue(version.rows[0]?.server_version ?? '');
    const table = await client.query<{ present: boolean }>(
      `SELECT to_regclass('public.tickets') IS NOT NULL AS present`,
    );
    if (table.rows[0]?.present) {
      const count = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM public.tickets');
      metadata['tickets-rows'] = count.rows[0]?.n ?? '';
    }
  } catch (err) {
    log.warn(
      { err: redact(errorMessage(err), config.databaseUrl) },
      'could not read the server version or ticket count',
    );
  } finally {
    await client.end().catch(() => {});
  }
  return metadata;
}

/** S3 user metadata travels as HTTP headers: printable ASCII on one line. */
function headerValue(text: string): string {
  return (text.trim().split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
