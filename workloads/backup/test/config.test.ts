import test from 'ava';
import { ConfigError, loadConfig } from '../src/config.js';

const secret = 'S3cr3t-p4ss';
const base = {
  DATABASE_URL: `postgres://tenant:${secret}@db.internal:5432/tenant?sslmode=verify-full`,
  BACKUP_BUCKET: 'sentiment-backups',
  BACKUP_PREFIX: 'tenant-a/uid-1/',
  AWS_REGION: 'eu-west-1',
};

test('backup: reads the contract variables, with pg_dump from PATH by default', (t) => {
  const config = loadConfig('backup', { ...base, BACKUP_RETAIN: '7', PGSSLROOTCERT: '/etc/ca.crt' });
  t.deepEqual(config, {
    command: 'backup',
    databaseUrl: base.DATABASE_URL,
    bucket: 'sentiment-backups',
    prefix: 'tenant-a/uid-1/',
    region: 'eu-west-1',
    pgSslRootCert: '/etc/ca.crt',
    retain: 7,
    pgDump: 'pg_dump',
  });
  t.like(
    loadConfig('backup', { ...base, BACKUP_RETAIN: '1', PG_DUMP: '/usr/lib/postgresql/17/bin/pg_dump' }),
    {
      pgDump: '/usr/lib/postgresql/17/bin/pg_dump',
    },
  );
});

test('restore: needs BACKUP_KEY, not BACKUP_RETAIN', (t) => {
  t.like(loadConfig('restore', { ...base, BACKUP_KEY: 'latest' }), {
    command: 'restore',
    key: 'latest',
    pgRestore: 'pg_restore',
  });
  const err = t.throws(() => loadConfig('restore', base), { instanceOf: ConfigError });
  t.regex(err.message, /BACKUP_KEY: missing/);
  t.notRegex(err.message, /BACKUP_RETAIN/);
});

test('every missing or bad variable is listed on one line, and no value is echoed', (t) => {
  const err = t.throws(
    () =>
      loadConfig('backup', {
        DATABASE_URL: `mysql://tenant:${secret}@db.internal/tenant`,
        BACKUP_BUCKET: 'Not_A_Bucket',
        BACKUP_PREFIX: 'tenant-a/uid-1',
        BACKUP_RETAIN: '0',
        AWS_REGION: '',
      }),
    { instanceOf: ConfigError },
  );
  t.false(err.message.includes('\n'));
  for (const name of [
    'DATABASE_URL',
    'BACKUP_BUCKET',
    'BACKUP_PREFIX',
    'BACKUP_RETAIN',
    'AWS_REGION: missing',
  ])
    t.true(err.message.includes(name), `${name} in: ${err.message}`);
  for (const value of [secret, 'db.internal', 'mysql', 'Not_A_Bucket', 'tenant-a/uid-1'])
    t.false(err.message.includes(value), `${value} echoed in: ${err.message}`);
});

test('an unparseable DATABASE_URL is refused without echoing it', (t) => {
  const err = t.throws(
    () => loadConfig('backup', { ...base, BACKUP_RETAIN: 'x', DATABASE_URL: `tenant:${secret}@nowhere` }),
    { instanceOf: ConfigError },
  );
  t.regex(err.message, /DATABASE_URL: a postgres:\/\/ or postgresql:\/\/ URL/);
  t.regex(err.message, /BACKUP_RETAIN/);
  t.false(err.message.includes(secret));
});

test('empty strings count as unset', (t) => {
  const err = t.throws(() => loadConfig('backup', { ...base, BACKUP_RETAIN: '', BACKUP_BUCKET: '' }), {
    instanceOf: ConfigError,
  });
  t.regex(err.message, /BACKUP_BUCKET: missing/);
  t.regex(err.message, /BACKUP_RETAIN: missing/);
});

test('AWS_DEFAULT_REGION stands in for AWS_REGION', (t) => {
  const { AWS_REGION: _, ...rest } = base;
  t.like(loadConfig('backup', { ...rest, BACKUP_RETAIN: '1', AWS_DEFAULT_REGION: 'us-east-2' }), {
    region: 'us-east-2',
  });
  t.like(loadConfig('backup', { ...base, BACKUP_RETAIN: '1', AWS_DEFAULT_REGION: 'us-east-2' }), {
    region: 'eu-west-1',
  });
});
