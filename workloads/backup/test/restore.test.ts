// restore against the real test services: which key `latest` means, the keys a tenant may not restore,
// and a dump that breaks halfway, which must leave the database as it was.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { backupKey } from '@sentiment/crds';
import { sql } from '@sentiment/testenv';
import { runBackup } from '../src/backup.js';
import { loadConfig, type BackupConfig, type RestoreConfig } from '../src/config.js';
import { RestoreRefused, runRestore } from '../src/restore.js';
import {
  cli,
  freshBucket,
  log,
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

const day = (d: number) => () => new Date(Date.UTC(2026, 1, d, 2, 30, 0));

function backupConfig(env: Record<string, string>): BackupConfig {
  return loadConfig('backup', env) as BackupConfig;
}

function restoreConfig(env: Record<string, string>): RestoreConfig {
  return loadConfig('restore', env) as RestoreConfig;
}

/** A stand-in pg_restore that only records that it ran. */
async function recordingPgRestore(): Promise<{ path: string; ran: () => boolean }> {
  const path = await script('pg_restore', `touch "$(dirname "$0")/ran"; cat >/dev/null; exit 0`);
  return { path, ran: () => existsSync(join(path, '..', 'ran')) };
}

test('restore with latest picks the newest backup under the prefix', async (t) => {
  const source = await scratchDatabase('src');
  const target = await scratchDatabase('dst');
  t.teardown(() => Promise.all([source.drop(), target.drop()]));
  await seed(source.url);
  const prefix = tenantPrefix();
  const config = backupConfig(toolEnv(source, bucket, prefix, { BACKUP_RETAIN: '5' }));
  await runBackup(config, { s3, log, now: day(1) });
  await sql(source.url, `INSERT INTO tickets (subject, score) VALUES ('only in the newest', 0.1)`);
  const newest = await runBackup(config, { s3, log, now: day(3) });
  const expected = await snapshot(source.url);
  // Uploaded last but older by its key (the time it names), and a later-sorting key that is no backup.
  await sql(source.url, `DELETE FROM tickets WHERE subject = 'only in the newest'`);
  await runBackup(config, { s3, log, now: day(2) });
  await putObject(bucket, `${prefix}20990101T000000Z.pgdump.partial`, 'not a dump');

  const result = await runRestore(restoreConfig(toolEnv(target, bucket, prefix, { BACKUP_KEY: 'latest' })), {
    s3,
    log,
  });
  t.is(result.key, newest.key);
  t.deepEqual(await snapshot(target.url), expected);
});

test('latest with no backups under the prefix is a clear error', async (t) => {
  const target = await scratchDatabase('none');
  t.teardown(() => target.drop());
  const prefix = tenantPrefix();
  await putObject(bucket, `${prefix}notes.txt`);
  const pgRestore = await recordingPgRestore();
  const err = await t.throwsAsync(
    runRestore(
      restoreConfig(toolEnv(target, bucket, prefix, { BACKUP_KEY: 'latest', PG_RESTORE: pgRestore.path })),
      {
        s3,
        log,
      },
    ),
  );
  t.is(err.message, `no backups under s3://${bucket}/${prefix} to restore`);
  t.false(pgRestore.ran());
});

test('a key outside the prefix is refused before S3 or the database is touched (CLI)', async (t) => {
  const prefix = tenantPrefix();
  const pgRestore = await recordingPgRestore();
  const other = `other-ns/other-tenant/20260101T000000Z.pgdump`;
  // Nothing answers at these addresses: reaching either would fail with a different error.
  const result = await cli(
    'restore',
    toolEnv({ url: 'postgres://tenant:pw@127.0.0.1:1/tenant?sslmode=verify-full' }, bucket, prefix, {
      BACKUP_KEY: other,
      PG_RESTORE: pgRestore.path,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    }),
  );
  t.is(result.code, 1);
  t.is(
    result.logs.at(-1)!.msg,
    `restore failed: refusing to restore ${other}: only keys under this tenant's prefix ${prefix} can be restored`,
  );
  t.false(pgRestore.ran());
  // The bare prefix, and a sibling tenant whose prefix starts with the same text, are refused too.
  for (const key of [prefix, `${prefix.slice(0, -1)}0/20260101T000000Z.pgdump`]) {
    const err = await t.throwsAsync(
      runRestore(
        restoreConfig(toolEnv({ url: 'postgres://x@127.0.0.1:1/x' }, bucket, prefix, { BACKUP_KEY: key })),
        {
          s3,
          log,
        },
      ),
    );
    t.true(err instanceof RestoreRefused, err.message);
  }
});

test('a missing key is a clear error listing the newest five backups', async (t) => {
  const target = await scratchDatabase('miss');
  t.teardown(() => target.drop());
  const prefix = tenantPrefix();
  const keys = [1, 2, 3, 4, 5, 6, 7].map((d) => backupKey(prefix, day(d)()));
  for (const key of keys) await putObject(bucket, key);
  await putObject(bucket, `${prefix}zzz.txt`);
  const pgRestore = await recordingPgRestore();
  const missing = backupKey(prefix, new Date(Date.UTC(2000, 0, 1)));
  const err = await t.throwsAsync(
    runRestore(
      restoreConfig(toolEnv(target, bucket, prefix, { BACKUP_KEY: missing, PG_RESTORE: pgRestore.path })),
      {
        s3,
        log,
      },
    ),
  );
  t.is(
    err.message,
    `no backup ${missing} in s3://${bucket}; newest available under ${prefix}: ${keys.slice(2).reverse().join(', ')}`,
  );
  t.false(pgRestore.ran());
});

test('a restore that fails midway (a corrupted dump) leaves the database unchanged (CLI)', async (t) => {
  const db = await scratchDatabase('corrupt');
  t.teardown(() => db.drop());
  await seed(db.url);
  // Enough rows that the dump's data, not only its table of contents, is cut off.
  await sql(
    db.url,
    `INSERT INTO tickets (subject, score) SELECT md5(i::text) || repeat('x', 200), random() FROM generate_series(1, 20000) i`,
  );
  const prefix = tenantPrefix();
  const good = await runBackup(backupConfig(toolEnv(db, bucket, prefix, { BACKUP_RETAIN: '5' })), {
    s3,
    log,
    now: day(1),
  });
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: good.key }));
  const bytes = await object.Body!.transformToByteArray();
  const corrupt = backupKey(prefix, day(2)());
  await putObject(bucket, corrupt, bytes.subarray(0, Math.floor(bytes.length * 0.7)));

  // The database moves on after the backup; a failed restore must not take it back, or half back.
  await sql(
    db.url,
    `DELETE FROM tickets WHERE id > 10; INSERT INTO notes (ticket_id, body) VALUES (2, '"new"')`,
  );
  const before = await snapshot(db.url);
  const result = await cli('restore', toolEnv(db, bucket, prefix, { BACKUP_KEY: 'latest' }));
  t.is(result.code, 1, result.stdout);
  t.is(result.logs.find((l) => l.msg === 'restore started')?.key, corrupt);
  t.regex(
    result.logs.at(-1)!.msg,
    new RegExp(`^restore failed: pg_restore exited with code 1 restoring ${corrupt}: .+`),
  );
  t.log(result.logs.at(-1)!.msg);
  t.deepEqual(await snapshot(db.url), before);

  // The good backup still restores over it.
  const restored = await runRestore(restoreConfig(toolEnv(db, bucket, prefix, { BACKUP_KEY: good.key })), {
    s3,
    log,
  });
  t.is(restored.key, good.key);
  t.is((await sql(db.url, 'SELECT count(*)::int AS n FROM tickets'))[0]!.n, 20003);
});
