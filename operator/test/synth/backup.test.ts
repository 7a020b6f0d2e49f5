// spec.backup and spec.restore as objects: the CronJob, the restore Job, the workloads held at zero while
// a restore is pending, and what the backup pods get (and do not get) of the tenant's secrets.
import test from 'ava';
import {
  BACKUP_ENV,
  BACKUP_RETENTION_FAILED_EXIT,
  InvalidSpecError,
  backupPrefix,
  checkPlatform,
  platformTenantIdentity,
  restoreJobName,
  restoreRequest,
  type SentimentPlatform,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { synthesize, synthesizePlatform, type KubeObject, type SynthOptions } from '../../src/synth/index.js';
import { envOf, find, has, type Json } from './helpers.js';

const OPTIONS: SynthOptions = {
  backup: { bucket: 'fleet-backups', region: 'eu-west-1', endpointUrl: 'http://s3.local:9000' },
};

function platform(spec: SentimentPlatformSpec, status?: SentimentPlatform['status']) {
  return { metadata: { name: 'acme', namespace: 'tenant-acme' }, spec, ...(status && { status }) };
}
const render = (spec: SentimentPlatformSpec, status?: SentimentPlatform['status'], options = OPTIONS) =>
  synthesize(platform(spec, status), options).objects;
const prefix = backupPrefix('tenant-acme', platformTenantIdentity(platform({})).id);
const replicas = (objects: KubeObject[]) =>
  Object.fromEntries(
    objects.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, (d as Json).spec.replicas]),
  );

test('spec.backup: a CronJob running the backup image with the tenant database URL only, under its own prefix', (t) => {
  const objects = render({ backup: { schedule: '@daily', retain: 3 } });
  const cron = find(objects, 'CronJob', 'acme-backup');
  t.is(cron.spec.schedule, '0 0 * * *');
  t.is(cron.spec.timeZone, 'Etc/UTC');
  t.is(cron.spec.concurrencyPolicy, 'Forbid');
  t.false(cron.spec.suspend);
  const pod = cron.spec.jobTemplate.spec.template.spec;
  t.is(pod.serviceAccountName, 'acme', "the tenant's ServiceAccount: its IAM role reaches S3");
  const c = pod.containers[0] as Json;
  t.deepEqual(c.args, ['backup']);
  t.is(envOf(c, BACKUP_ENV.bucket)?.value, 'fleet-backups');
  t.is(envOf(c, BACKUP_ENV.prefix)?.value, prefix);
  t.regex(prefix, /^tenant-acme\/t_[0-9a-f]{32}\/$/);
  t.is(envOf(c, BACKUP_ENV.retain)?.value, '3');
  t.is(envOf(c, 'AWS_REGION')?.value, 'eu-west-1');
  t.is(envOf(c, 'AWS_ENDPOINT_URL')?.value, 'http://s3.local:9000');
  t.is(envOf(c, 'PGSSLROOTCERT')?.value, 'system', 'libpq verifies with the system CAs without a data CA');
  t.deepEqual(envOf(c, 'DATABASE_URL')?.valueFrom.secretKeyRef, { name: 'acme-data', key: 'DATABASE_URL' });
  t.is(envOf(c, 'REDIS_URL'), undefined, 'the backup pod gets no other credential');
  t.is(envOf(c, 'OPENSEARCH_URL'), undefined);
  t.true(has(objects, 'NetworkPolicy', 'acme-backup'));
  t.false(has(objects, 'Job', restoreJobName('acme', 'latest')), 'no restore without spec.restore');
  t.deepEqual(
    cron.spec.jobTemplate.spec.podFailurePolicy,
    {
      rules: [
        {
          action: 'FailJob',
          onExitCodes: { containerName: 'backup', operator: 'In', values: [BACKUP_RETENTION_FAILED_EXIT] },
        },
      ],
    },
    'uploaded but retention failed: no retry that dumps again',
  );
});

test('a hibernated or suspended tenant has its CronJob suspended; a spec bucket wins over the operator default', (t) => {
  t.true(find(render({ hibernate: true, backup: {} }), 'CronJob', 'acme-backup').spec.suspend);
  t.true(find(render({ backup: { suspend: true } }), 'CronJob', 'acme-backup').spec.suspend);
  const own = find(render({ backup: { bucket: 'acme-own' } }), 'CronJob', 'acme-backup');
  t.is(envOf(own.spec.jobTemplate.spec.template.spec.containers[0], BACKUP_ENV.bucket)?.value, 'acme-own');
});

test('no bucket anywhere: an invalid spec that says where to set one', (t) => {
  const err = t.throws(() => render({ backup: {} }, undefined, {}), { instanceOf: InvalidSpecError });
  t.regex(err.message, /spec\.backup\.bucket, or the operator's --backup-bucket/);
});

test('a pending restore: every workload at zero and a Job that restores into the database, then rebuilds the index', (t) => {
  const spec: SentimentPlatformSpec = { backup: {}, restore: { backup: '20261206T031700Z.pgdump' } };
  const objects = render(spec);
  t.true(
    Object.values(replicas(objects)).every((r) => r === 0),
    JSON.stringify(replicas(objects)),
  );
  const job = find(objects, 'Job', restoreJobName('acme', restoreRequest(spec.restore!)));
  const pod = job.spec.template.spec;
  const restore = pod.initContainers[0] as Json;
  t.deepEqual(restore.args, ['restore']);
  t.is(
    envOf(restore, BACKUP_ENV.key)?.value,
    `${prefix}20261206T031700Z.pgdump`,
    'only under its own prefix',
  );
  const reindex = pod.containers[0] as Json;
  t.deepEqual(reindex.args, ['reindex']);
  t.truthy(envOf(reindex, 'OPENSEARCH_URL'), 'the rebuild reaches the search index');
  t.is(job.spec.template.metadata.annotations, undefined, 'no config digest in an immutable template');
  t.is(pod.restartPolicy, 'Never');
});

test('a restore that succeeded leaves the workloads up and renders no Job; a new requestId restores again', (t) => {
  const spec: SentimentPlatformSpec = { restore: { backup: 'latest' } };
  const request = restoreRequest(spec.restore!);
  const done = { request, phase: 'Succeeded' as const, job: restoreJobName('acme', request) };
  const after = render(spec, { restore: done });
  t.false(has(after, 'Job', done.job));
  t.true(Object.values(replicas(after)).every((r) => r !== 0));
  const again = render({ restore: { backup: 'latest', requestId: '2' } }, { restore: done });
  t.true(has(again, 'Job', restoreJobName('acme', 'latest#2')));
  t.true(Object.values(replicas(again)).every((r) => r === 0));
  const failed = render(spec, { restore: { ...done, phase: 'Failed' } });
  t.true(has(failed, 'Job', done.job), 'a failed restore keeps its Job (and the workloads at zero)');
  t.true(Object.values(replicas(failed)).every((r) => r === 0));
});

test('synthesizePlatform reports where the backups are', (t) => {
  const p = platform({ backup: {} });
  const { backupLocation } = synthesizePlatform(p, checkPlatform(p).resolved!, OPTIONS);
  t.deepEqual(backupLocation, { bucket: 'fleet-backups', prefix });
});

test('admission: a restore names a backup of this platform, or latest; schedules are cron', (t) => {
  const problems = (spec: SentimentPlatformSpec) => checkPlatform(platform(spec)).problems.join('; ');
  t.regex(problems({ restore: { backup: '../other-tenant/x.pgdump' } }), /spec\.restore\.backup/);
  t.regex(problems({ backup: { schedule: 'daily' } }), /spec\.backup\.schedule/);
  t.regex(problems({ backup: { retain: 0 } }), /spec\.backup\.retain/);
  t.is(problems({ backup: { schedule: '*/30 * * * *', retain: 30 }, restore: { backup: 'latest' } }), '');
});

const ROLES: SynthOptions = {
  backup: {
    ...OPTIONS.backup,
    tenantRoles: {
      namePrefix: 'sentiment-demo-',
      permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/TenantBackupBoundary',
      oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123',
    },
  },
};

test('per-tenant backup roles: the backup and restore pods run as a ServiceAccount of their own, annotated with the platform role', (t) => {
  const objects = render({ backup: {}, restore: { backup: 'latest' } }, undefined, ROLES);
  const sa = find(objects, 'ServiceAccount', 'acme-backup');
  const arn = sa.metadata.annotations['eks.amazonaws.com/role-arn'] as string;
  t.regex(arn, /^arn:aws:iam::123456789012:role\/sentiment-tenant-backups\/sentiment-demo-[0-9a-f]{32}$/);
  t.false(sa.automountServiceAccountToken);
  const cronPod = find(objects, 'CronJob', 'acme-backup').spec.jobTemplate.spec.template.spec;
  t.is(cronPod.serviceAccountName, 'acme-backup');
  t.is(
    find(objects, 'Job', restoreJobName('acme', 'latest')).spec.template.spec.serviceAccountName,
    'acme-backup',
  );
  t.is(
    find(objects, 'Deployment', 'acme-api').spec.template.spec.serviceAccountName,
    'acme',
    'the API keeps the tenant account',
  );
  t.is(
    find(objects, 'ServiceAccount', 'acme').metadata.annotations?.['eks.amazonaws.com/role-arn'],
    undefined,
  );
  t.false(
    has(render({}, undefined, ROLES), 'ServiceAccount', 'acme-backup'),
    'no backups, no backup account',
  );
});

test('per-tenant backup roles: trusted by that ServiceAccount alone, reaching only the platform prefix', (t) => {
  const { backupLocation: location } = synthesizePlatform(
    platform({ backup: {} }),
    checkPlatform(platform({ backup: {} })).resolved!,
    ROLES,
  );
  const role = location!.role!;
  t.is(role.path, '/sentiment-tenant-backups/');
  t.is(role.permissionsBoundaryArn, 'arn:aws:iam::123456789012:policy/TenantBackupBoundary');
  t.deepEqual(role.trustPolicy.Statement, [
    {
      Effect: 'Allow',
      Principal: { Federated: ROLES.backup!.tenantRoles!.oidcProviderArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub': 'system:serviceaccount:tenant-acme:acme-backup',
          'oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud': 'sts.amazonaws.com',
        },
      },
    },
  ]);
  t.deepEqual(role.policy.Statement, [
    {
      Sid: 'TenantBackupObjects',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: `arn:aws:s3:::fleet-backups/${prefix}*`,
    },
    {
      Sid: 'TenantBackupListing',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: 'arn:aws:s3:::fleet-backups',
      Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    },
  ]);
  const other = synthesizePlatform(
    { metadata: { name: 'acme', namespace: 'tenant-other' } },
    checkPlatform(platform({ backup: {} })).resolved!,
    ROLES,
  ).backupLocation!.role!;
  t.not(other.name, role.name, 'the same name in another namespace is another role');
  t.true(role.name.length <= 64);
});

test('per-tenant backup roles: a spec bucket other than the installation one is refused, as the roles cannot reach it', (t) => {
  const err = t.throws(() => render({ backup: { bucket: 'elsewhere' } }, undefined, ROLES), {
    instanceOf: InvalidSpecError,
  });
  t.regex(err!.message, /reach only its bucket fleet-backups/);
  t.notThrows(() => render({ backup: { bucket: 'fleet-backups' } }, undefined, ROLES));
  t.notThrows(() => render({ backup: { bucket: 'elsewhere' } }), 'without per-tenant roles the spec chooses');
});
