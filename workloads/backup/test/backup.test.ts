// backup against the real test services: Postgres over TLS (a scratch tenant database and role), moto's
// S3 (a fresh bucket for this file), the machine's pg_dump and pg_restore.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import test from 'ava';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { BACKUP_RETENTION_FAILED_EXIT, BACKUP_SUFFIX, backupKey } from '@sentiment/crds';
import { sql, waitFor } from '@sentiment/testenv';
import { runBackup } from '../src/backup.js';
import { loadConfig, type BackupConfig } from '../src/config.js';
import { listKeys } from '../src/s3.js';
import {
  cli,
  freshBucket,
  log,
  parseLogs,
  pendingUploads,
  putObject,
  removeScripts,
  s3,
  scratchDatabase,
  script,
  seed,
  snapshot,
  tenantPrefix,
  toolEnv,
} from './helpers.js';

let bucket: string;
let removeBucket: () => Promise<void>;

test.before(async () => {
  ({ bucket, remove: removeBucket } = await freshBucket());
});

test.after.always(async () => {
  await removeBucket?.();
  await removeScripts();
});

function backupConfig(env: Record<string, string>): BackupConfig {
  return loadConfig('backup', env) as BackupConfig;
}

test('backup then restore into a fresh database round-trips the schema and rows (CLI)', async (t) => {
  const source = await scratchDatabase('src');
  const target = await scratchDatabase('dst');
  t.teardown(() => Promise.all([source.drop(), target.drop()]));
  await seed(source.url);
  const prefix = tenantPrefix();

  const backup = await cli('backup', toolEnv(source, bucket, prefix, { BACKUP_RETAIN: '3' }));
  t.is(backup.code, 0, backup.stdout + backup.stderr);
  const uploaded = backup.logs.find((l) => l.msg === 'backup uploaded');
  t.truthy(uploaded, backup.stdout);
  const key = uploaded!.key as string;
  t.true(key.startsWith(prefix) && key.endsWith(BACKUP_SUFFIX));
  t.true((uploaded!.bytes as number) > 0);
  t.is(typeof uploaded!.durationMs, 'number');
  t.deepEqual(backup.logs.find((l) => l.msg === 'retention applied')?.deleted, []);
  t.false(backup.stdout.includes(new URL(source.url).password), 'the password is never logged');

  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  t.is(head.ContentLength, uploaded!.bytes as number);
  t.is(head.Metadata?.['tickets-rows'], '3');
  t.regex(head.Metadata?.['server-version'] ?? '', /^\d+\.\d+/);
  t.regex(head.Metadata?.['pg-dump-version'] ?? '', /^pg_dump \(PostgreSQL\) \d+/);

  const restore = await cli('restore', toolEnv(target, bucket, prefix, { BACKUP_KEY: key }));
  t.is(restore.code, 0, restore.stdout + restore.stderr);
  t.is(restore.logs.find((l) => l.msg === 'restore finished')?.key, key);
  // The target's major decides whether pg_restore 17's transaction_timeout line is left out (preamble.test.ts).
  t.is(
    restore.logs.find((l) => l.msg === 'restore started')?.serverMajor,
    15,
    'the test server is PostgreSQL 15',
  );
  t.deepEqual(await snapshot(target.url), await snapshot(source.url));
  // The restored objects belong to the tenant's own role (--no-owner), so it can keep writing.
  await sql(target.url, `INSERT INTO tickets (subject) VALUES ('after restore')`);
  t.is((await sql(target.url, 'SELECT max(id) AS id FROM tickets'))[0]!.id, 4);
});

test('retention keeps the newest N backups and deletes nothing else', async (t) => {
  const db = await scratchDatabase('ret');
  t.teardown(() => db.drop());
  await seed(db.url);
  const prefix = tenantPrefix();
  const old = [1, 2, 3].map((day) => backupKey(prefix, new Date(Date.UTC(2025, 0, day))));
  const survivors = [
    `${prefix}README.txt`,
    `${prefix}20250101T000000Z.pgdump.partial`,
    // Another tenant: outside the prefix, and one whose prefix merely starts with the same text.
    `other-ns/other-tenant/20200101T000000Z${BACKUP_SUFFIX}`,
    `${prefix.slice(0, -1)}0/20200101T000000Z${BACKUP_SUFFIX}`,
  ];
  for (const key of [...old, ...survivors]) await putObject(bucket, key);

  const result = await runBackup(backupConfig(toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '2' })), {
    s3,
    log,
  });
  t.deepEqual(result.deleted, [old[1], old[0]]);
  const left = new Set(await listKeys(s3, bucket, ''));
  t.true(left.has(result.key));
  t.true(left.has(old[2]!));
  t.false(left.has(old[1]!));
  t.false(left.has(old[0]!));
  for (const key of survivors) t.true(left.has(key), `${key} survives`);
});

test('retention pages through a long listing and deletes in batches of at most 1000', async (t) => {
  const db = await scratchDatabase('many');
  t.teardown(() => db.drop());
  const prefix = tenantPrefix();
  const old = Array.from({ length: 1105 }, (_, i) =>
    backupKey(prefix, new Date(Date.UTC(2020, 0, 1, 0, 0, i))),
  );
  for (let i = 0; i < old.length; i += 50)
    await Promise.all(old.slice(i, i + 50).map((k) => putObject(bucket, k)));

  const result = await runBackup(backupConfig(toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '1' })), {
    s3,
    log,
  });
  t.is(result.deleted.length, old.length);
  t.deepEqual(await listKeys(s3, bucket, prefix), [result.key]);
});

test('a pg_dump that writes some bytes then fails leaves no object and exits 1 with its error (CLI)', async (t) => {
  const db = await scratchDatabase('fail');
  t.teardown(() => db.drop());
  const prefix = tenantPrefix();
  const pgDump = await script(
    'pg_dump',
    `[ "$1" = --version ] && { echo 'pg_dump (PostgreSQL) 15.0'; exit 0; }
     head -c 4096 /dev/urandom
     echo 'pg_dump: error: simulated failure halfway' >&2
     exit 1`,
  );
  const result = await cli('backup', toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '2', PG_DUMP: pgDump }));
  t.is(result.code, 1);
  const error = result.logs.at(-1)!;
  t.is(error.level, 50);
  t.regex(
    error.msg,
    /^backup failed: pg_dump exited with code 1: pg_dump: error: simulated failure halfway$/,
  );
  t.deepEqual(await listKeys(s3, bucket, prefix), []);
  t.deepEqual(await pendingUploads(bucket, prefix), []);
});

test('a pg_dump that fails after several parts aborts the multipart upload', async (t) => {
  const db = await scratchDatabase('mpu');
  t.teardown(() => db.drop());
  const prefix = tenantPrefix();
  const pgDump = await script(
    'pg_dump',
    `[ "$1" = --version ] && exit 1
     head -c 13000000 /dev/urandom
     echo 'pg_dump: error: lost the connection' >&2
     exit 1`,
  );
  const config = backupConfig(toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '2', PG_DUMP: pgDump }));
  const err = await t.throwsAsync(runBackup(config, { s3, log, partSize: 5 * 1024 * 1024 }));
  t.regex(err.message, /pg_dump exited with code 1: pg_dump: error: lost the connection/);
  t.log(err.message);
  t.deepEqual(await listKeys(s3, bucket, prefix), []);
  t.deepEqual(await pendingUploads(bucket, prefix), []);
});

test('a database that does not exist fails the backup with pg_dump error and no object (CLI)', async (t) => {
  const db = await scratchDatabase('gone');
  t.teardown(() => db.drop());
  const prefix = tenantPrefix();
  const url = new URL(db.url);
  url.pathname = '/bk_no_such_database';
  const result = await cli(
    'backup',
    toolEnv({ url: url.toString() }, bucket, prefix, { BACKUP_RETAIN: '2' }),
  );
  t.is(result.code, 1);
  t.regex(result.logs.at(-1)!.msg, /^backup failed: pg_dump exited with code 1: .*does not exist/);
  t.false(result.stdout.includes(url.password));
  t.false(result.stderr.includes(url.password));
  t.deepEqual(await listKeys(s3, bucket, prefix), []);
});

test('SIGTERM kills pg_dump and aborts the upload: no object, exit 1', async (t) => {
  const db = await scratchDatabase('term');
  t.teardown(() => db.drop());
  const prefix = tenantPrefix();
  const pgDump = await script(
    'pg_dump',
    `[ "$1" = --version ] && exit 1
     head -c 100000 /dev/urandom
     exec sleep 120`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts', 'backup'], {
    env: { ...process.env, ...toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '1', PG_DUMP: pgDump }) },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = once(child, 'close');
  await waitFor('the backup to start', async () => stdout.includes('backup started'), 60_000);
  // Let pg_dump start and write.
  await new Promise((r) => setTimeout(r, 1500));
  const sent = Date.now();
  child.kill('SIGTERM');
  const [code] = (await exited) as [number];
  t.is(code, 1);
  t.true(Date.now() - sent < 10_000);
  t.regex(parseLogs(stdout).at(-1)!.msg, /backup interrupted \(SIGTERM\)/);
  t.deepEqual(await listKeys(s3, bucket, prefix), []);
  t.deepEqual(await pendingUploads(bucket, prefix), []);
});

test('retention that fails after the upload exits with its own code (the Job is not retried), the new backup kept (CLI)', async (t) => {
  const db = await scratchDatabase('deny');
  t.teardown(() => db.drop());
  await seed(db.url);
  // An old backup S3 refuses to delete: a bucket policy denies it.
  const denied = `sentiment-backup-deny-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket: denied }));
  const prefix = tenantPrefix();
  const old = backupKey(prefix, new Date(Date.UTC(2025, 0, 1)));
  await s3.send(new PutObjectCommand({ Bucket: denied, Key: old, Body: 'old' }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: denied,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:DeleteObject',
            Resource: `arn:aws:s3:::${denied}/${old}`,
          },
        ],
      }),
    }),
  );
  const result = await cli('backup', toolEnv(db, denied, prefix, { BACKUP_RETAIN: '1' }));
  t.is(result.code, BACKUP_RETENTION_FAILED_EXIT, result.stdout + result.stderr);
  const uploaded = result.logs.find((l) => l.msg === 'backup uploaded')?.key as string;
  t.truthy(uploaded);
  t.regex(
    result.stdout,
    /the backup is safe at .*\.pgdump, but retention failed: could not delete 1 old backup/,
  );
  t.deepEqual((await listKeys(s3, denied, prefix)).sort(), [old, uploaded].sort(), 'both kept');
});
