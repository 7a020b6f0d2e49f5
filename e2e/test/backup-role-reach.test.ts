// What a tenant's backup role reaches, by IAM evaluation: the operator's own code (BackupRoles) makes two
// tenants' roles in a moto that enforces IAM policies, under a boundary shaped as the infra's; then the backup
// image (its CLI, the real pg_dump, the test Postgres) runs with tenant A's role. It backs up, lists, applies
// retention and restores under A's prefix; pointed at B's prefix (a misconfigured or compromised pod), S3
// refuses every write, read and delete, and B's backups are untouched.
//
// What is not IRSA here: moto, when it enforces policies, wants AssumeRoleWithWebIdentity signed, which no
// SDK does; so the test gives the role a second trust statement for its administrator and assumes it with
// AssumeRole. The role's permissions, boundary and the operator's writes are the ones under test; the
// web-identity trust is checked as a document (operator tests, e2e platform test).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { CreatePolicyCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  DeleteObjectCommand,
  DeleteObjectsCommand,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { BACKUP_BUCKET_ACTIONS, BACKUP_OBJECT_ACTIONS, backupPrefix, tenantIdentity } from '@sentiment/crds';
import { BackupRoles, tenantBackupRole, type TenantBackupRole } from '@sentiment/operator';
import { loadTestEnv, sql, strictAwsClientConfig } from '@sentiment/testenv';

const env = loadTestEnv();
const admin = strictAwsClientConfig(env);
const iam = new IAMClient(admin);
const s3 = new S3Client({ ...admin, forcePathStyle: true });
const hex = (n: number) => randomBytes(n).toString('hex');
const bucket = `tenant-backups-${hex(4)}`;
const MAIN = fileURLToPath(new URL('../../workloads/backup/src/main.ts', import.meta.url));

interface Tenant {
  ns: string;
  name: string;
  prefix: string;
  role: TenantBackupRole;
}
let a: Tenant;
let b: Tenant;
let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
let database: { url: string; drop(): Promise<void> };

test.before(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // The infra's boundary (infra/src/stacks/tenant-backups.ts): the backup actions on the bucket, nothing else.
  const boundary = await iam.send(
    new CreatePolicyCommand({
      PolicyName: `tenant-backup-boundary-${hex(4)}`,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: [...BACKUP_OBJECT_ACTIONS], Resource: `arn:aws:s3:::${bucket}/*` },
          { Effect: 'Allow', Action: [...BACKUP_BUCKET_ACTIONS], Resource: `arn:aws:s3:::${bucket}` },
        ],
      }),
    }),
  );
  const roles = {
    namePrefix: `reach-${hex(3)}-`,
    permissionsBoundaryArn: boundary.Policy!.Arn!,
    oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/REACH',
  };
  const backupRoles = new BackupRoles({ client: iam, roles });
  const tenant = (ns: string, name: string): Tenant => {
    const prefix = backupPrefix(ns, tenantIdentity(ns, name).id);
    return {
      ns,
      name,
      prefix,
      role: tenantBackupRole({ namespace: ns, platform: name, bucket, prefix, roles }),
    };
  };
  a = tenant(`tenant-a-${hex(3)}`, 'acme');
  b = tenant(`tenant-b-${hex(3)}`, 'globex');
  await backupRoles.ensure(a.role);
  await backupRoles.ensure(b.role);
  // The test's stand-in for IRSA (see the header): the web-identity statement stays, one for the admin is added.
  await iam.send(
    new UpdateAssumeRolePolicyCommand({
      RoleName: a.role.name,
      PolicyDocument: JSON.stringify({
        ...a.role.trustPolicy,
        Statement: [
          ...a.role.trustPolicy.Statement,
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:user/admin' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  const assumed = await new STSClient(admin).send(
    new AssumeRoleCommand({ RoleArn: a.role.arn, RoleSessionName: 'tenant-a-backup' }),
  );
  credentials = {
    accessKeyId: assumed.Credentials!.AccessKeyId!,
    secretAccessKey: assumed.Credentials!.SecretAccessKey!,
    sessionToken: assumed.Credentials!.SessionToken!,
  };
  // B already has a backup, which A must not reach.
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${b.prefix}20261201T031700Z.pgdump`, Body: 'B' }),
  );
  const name = `reach_${hex(4)}`;
  const password = hex(16);
  await sql(env.DATABASE_URL, `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  await sql(env.DATABASE_URL, `CREATE DATABASE ${name} OWNER ${name}`);
  const url = new URL(env.DATABASE_URL);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  await sql(
    url.toString(),
    'CREATE TABLE tickets (id int primary key, body text); INSERT INTO tickets VALUES (1, $$charged twice$$)',
  );
  database = {
    url: url.toString(),
    drop: async () => {
      await sql(env.DATABASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql(env.DATABASE_URL, `DROP ROLE IF EXISTS ${name}`);
    },
  };
});

test.after.always(async () => {
  await database?.drop();
});

/** The backup image's CLI with tenant A's role credentials, against the strict moto. */
async function backupCli(command: string, prefix: string, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, command], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      PGSSLROOTCERT: env.DATA_CA_FILE,
      BACKUP_BUCKET: bucket,
      BACKUP_PREFIX: prefix,
      AWS_REGION: env.AWS_REGION,
      AWS_ENDPOINT_URL: env.MOTO_STRICT_ENDPOINT_URL,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      ...extra,
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, out };
}

const asA = () =>
  new S3Client({
    endpoint: env.MOTO_STRICT_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials,
    forcePathStyle: true,
  });
const keysUnder = async (prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
    (o) => o.Key!,
  );

test.serial(
  "with its own role, tenant A's backup, retention and restore work under its prefix",
  async (t) => {
    const first = await backupCli('backup', a.prefix, { BACKUP_RETAIN: '1' });
    t.is(first.code, 0, first.out);
    await new Promise((r) => setTimeout(r, 1100)); // backup keys are stamped to the second
    const second = await backupCli('backup', a.prefix, { BACKUP_RETAIN: '1' });
    t.is(second.code, 0, second.out);
    const keys = await keysUnder(a.prefix);
    t.is(keys.length, 1, `retention deleted the older one: ${keys.join(', ')}`);
    const restore = await backupCli('restore', a.prefix, { BACKUP_KEY: 'latest' });
    t.is(restore.code, 0, restore.out);
  },
);

test.serial(
  "pointed at tenant B's prefix, tenant A's role is refused by S3: no write, read or delete",
  async (t) => {
    const backup = await backupCli('backup', b.prefix, { BACKUP_RETAIN: '1' });
    t.not(backup.code, 0);
    t.regex(backup.out, /AccessDenied|Access Denied/);
    t.deepEqual(
      await keysUnder(b.prefix),
      [`${b.prefix}20261201T031700Z.pgdump`],
      "B's backups as they were",
    );
    const client = asA();
    const key = `${b.prefix}20261201T031700Z.pgdump`;
    await t.throwsAsync(client.send(new GetObjectCommand({ Bucket: bucket, Key: key })), {
      name: 'AccessDenied',
    });
    await t.throwsAsync(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })), {
      name: 'AccessDenied',
    });
    await t.throwsAsync(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: `${b.prefix}x.pgdump`, Body: 'x' })),
      {
        name: 'AccessDenied',
      },
    );
    // One Multi-Object Delete over both prefixes (as retention sends): S3 decides per key.
    const mine = `${a.prefix}20261130T031700Z.pgdump`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: mine, Body: 'A' }));
    const both = await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: mine }, { Key: key }] } }),
    );
    t.deepEqual(
      both.Deleted?.map((d) => d.Key),
      [mine],
    );
    t.deepEqual(
      both.Errors?.map((e) => [e.Key, e.Code]),
      [[key, 'AccessDenied']],
    );
    t.deepEqual(await keysUnder(b.prefix), [key]);
  },
);
