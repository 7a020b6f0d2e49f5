// The real test services for the backup tool's tests: a scratch database and role per use (a tenant's
// own, as the operator makes them), a fresh bucket on moto per test file, and the CLI run as the image
// runs it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsClientConfig, loadTestEnv, run, sql, type RunResult, type TestEnv } from '@sentiment/testenv';
import { pino } from 'pino';
import { deleteKeys, listKeys } from '../src/s3.js';

export const env: TestEnv = loadTestEnv();
export const s3 = new S3Client(awsClientConfig(env));
/** Quiet in tests; the CLI tests read the real log lines from the child's stdout. */
export const log = pino({ level: 'silent' });

const hex = (n: number) => randomBytes(n).toString('hex');

export interface ScratchDatabase {
  /** The tenant's URL: its own role and password, TLS verified (sslmode=verify-full). */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A database owned by a new login role, like a tenant's; drop() removes both. */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const name = `bk_${label}_${hex(4)}`;
  const password = hex(16);
  // Identifiers cannot be parameters; `name` is built here from [a-z0-9_] only, the password from hex.
  await sql(env.DATABASE_URL, `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  await sql(env.DATABASE_URL, `CREATE DATABASE ${name} OWNER ${name}`);
  const url = new URL(env.DATABASE_URL);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await sql(env.DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql(env.DATABASE_URL, `DROP ROLE IF EXISTS ${name}`);
    },
  };
}

/** A bucket of its own for one test file, emptied and deleted by the returned function. */
export async function freshBucket(): Promise<{ bucket: string; remove(): Promise<void> }> {
  const bucket = `sentiment-backup-test-${hex(6)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    async remove() {
      await deleteKeys(s3, bucket, await listKeys(s3, bucket, ''));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    },
  };
}

/** A tenant prefix of its own for one test. */
export function tenantPrefix(): string {
  return `ns-${hex(3)}/${hex(8)}/`;
}

export async function putObject(bucket: string, key: string, body: string | Uint8Array = 'x'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Multipart uploads started and neither completed nor aborted under `prefix`. */
export async function pendingUploads(bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '?');
}

/** The environment the operator gives the image, for one tenant and bucket. */
export function toolEnv(
  db: { url: string },
  bucket: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    BACKUP_BUCKET: bucket,
    BACKUP_PREFIX: prefix,
    PGSSLROOTCERT: env.DATA_CA_FILE,
    AWS_REGION: env.AWS_REGION,
    AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    ...extra,
  };
}

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface CliResult extends RunResult {
  /** stdout's JSON log lines. */
  logs: { level: number; msg: string; [k: string]: unknown }[];
}

/** Runs the tool as the image does (`main.js backup|restore`), from source. */
export async function cli(command: string, toolEnvironment: Record<string, string>): Promise<CliResult> {
  const result = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', MAIN, command],
    undefined,
    toolEnvironment,
  );
  return { ...result, logs: parseLogs(result.stdout) };
}

export function parseLogs(stdout: string): CliResult['logs'] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as CliResult['logs'][number]);
}

const scriptDirs: string[] = [];

/** An executable shell script in a temporary directory (a stand-in pg_dump or pg_restore). */
export async function script(name: string, body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sentiment-backup-'));
  scriptDirs.push(dir);
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** Removes the scripts' directories (a test file's after.always hook). */
export async function removeScripts(): Promise<void> {
  await Promise.all(scriptDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A small tenant schema with rows: tickets (the table the backup counts) and notes referencing them. */
export async function seed(url: string): Promise<void> {
  await sql(
    url,
    `CREATE TABLE tickets (id serial PRIMARY KEY, subject text NOT NULL, score real, opened timestamptz,
       tags text[]);
     CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       ticket_id int NOT NULL REFERENCES tickets(id) ON DELETE CASCADE, body jsonb);
     CREATE INDEX notes_ticket ON notes (ticket_id);
     CREATE VIEW open_tickets AS SELECT id, subject FROM tickets WHERE score IS NULL OR score < 0;
     INSERT INTO tickets (subject, score, opened, tags) VALUES
       ('Login fails', -0.8, '2026-01-02T03:04:05Z', '{auth,urgent}'),
       ('Thanks! ✓ Ünïcode', 0.9, '2026-01-03T00:00:00Z', '{}'),
       ('No score yet', NULL, NULL, NULL);
     INSERT INTO notes (ticket_id, body) VALUES (1, '{"by":"agent","text":"on it"}'), (1, NULL), (3, '[]');`,
  );
}

/** Everything seed() writes, as comparable rows. */
export async function snapshot(url: string): Promise<unknown> {
  const tables = await sql(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  const present = new Set(tables.map((r) => r.table_name as string));
  return {
    tables: [...present],
    tickets: present.has('tickets')
      ? await sql(url, `SELECT id, subject, score, opened, tags FROM tickets ORDER BY id`)
      : null,
    notes: present.has('notes') ? await sql(url, `SELECT id, ticket_id, body FROM notes ORDER BY id`) : null,
    openTickets: present.has('open_tickets')
      ? await sql(url, `SELECT * FROM open_tickets ORDER BY id`)
      : null,
    ticketsSeq: present.has('tickets')
      ? await sql(url, `SELECT last_value, is_called FROM tickets_id_seq`)
      : null,
  };
}

export function hexId(n = 4): string {
  return hex(n);
}
