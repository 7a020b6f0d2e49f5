// An operator with per-tenant backup roles (the chart's backup.tenantRoles, as the infra installs it), IAM
// being moto's through the real SDK: a platform with backups gets its role before its CronJob, the role's
// ARN on its backup ServiceAccount and in status; backups removed from the spec remove the role; deleting
// the platform deletes the role (its backups stay in the bucket) and says so in an event.
import test from 'ava';
import { CreatePolicyCommand, GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { EventsV1Api } from '@kubernetes/client-node';
import { IRSA_ROLE_ANNOTATION, backupRoleName } from '@sentiment/crds';
import { awsClientConfig } from '@sentiment/testenv';
import type { Manager } from '../../src/manager.js';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  capabilityOptions,
  synthesizePlatform,
  type SynthOptions,
} from '../../src/synth/index.js';
import { BackupRoles } from '../../src/tenancy/backup-role.js';
import {
  adminKc,
  createPlatform,
  dataServicesCa,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  patchSpec,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const iam = new IAMClient(awsClientConfig(env));
const events = adminKc.makeApiClient(EventsV1Api);
const run = Date.now().toString(36);
let operator: Manager | undefined;
let ns: string | undefined;

test.after.always(async () => {
  await operator?.stop();
  if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

const roleGone = async (name: string) =>
  iam.send(new GetRoleCommand({ RoleName: name })).then(
    () => false,
    (err: unknown) => err instanceof NoSuchEntityException,
  );

test('a platform with backups gets its own role before its CronJob; without backups, or deleted, the role goes', async (t) => {
  await installCrd();
  const namespace = await tempNamespace('op-backup-roles');
  ns = namespace;
  const boundary = await iam.send(
    new CreatePolicyCommand({
      PolicyName: `tenant-backup-boundary-${run}`,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::fleet-backups/*' }],
      }),
    }),
  );
  const roles = {
    namePrefix: `op${run}-`,
    permissionsBoundaryArn: boundary.Policy!.Arn!,
    oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OP${run}`,
  };
  const options: SynthOptions = { dataServicesCa, backup: { bucket: 'fleet-backups', tenantRoles: roles } };
  operator = startOperator([namespace], {
    synthesize: (p, r, capabilities) =>
      synthesizePlatform(p, r, {
        ...options,
        ...capabilityOptions(capabilities, DEFAULT_PROMETHEUS_NAMESPACE),
      }),
    backupRoles: new BackupRoles({ client: iam, roles, verifyIntervalMs: 0 }),
  });
  await operator.start();
  // No workloads need to run: the role, the ServiceAccount and the CronJob are what this is about.
  const spec = { profile: 'demo' as const, ingress: { enabled: false }, backup: {} };
  await createPlatform(namespace, 'acme', spec);
  const name = backupRoleName(roles.namePrefix, namespace, 'acme');

  const status = await waitFor(
    'status.backup.role',
    async () => (await getPlatform(namespace, 'acme'))?.status?.backup?.role,
  );
  const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
  t.is(status, role.Arn!);
  t.is(role.PermissionsBoundary?.PermissionsBoundaryArn, roles.permissionsBoundaryArn);
  const sa = JSON.parse(
    await kubectl(['get', 'serviceaccount', 'acme-backup', '-n', namespace, '-o', 'json']),
  ) as {
    metadata: { annotations: Record<string, string> };
  };
  t.is(sa.metadata.annotations[IRSA_ROLE_ANNOTATION], role.Arn);
  const cron = JSON.parse(
    await kubectl(['get', 'cronjob', 'acme-backup', '-n', namespace, '-o', 'json']),
  ) as {
    spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: string } } } } };
  };
  t.is(cron.spec.jobTemplate.spec.template.spec.serviceAccountName, 'acme-backup');

  await patchSpec(namespace, 'acme', { backup: null });
  await waitFor('role removed with spec.backup', () => roleGone(name));
  await waitFor('backup ServiceAccount pruned', async () =>
    kubectl(['get', 'serviceaccount', 'acme-backup', '-n', namespace]).then(
      () => false,
      () => true,
    ),
  );

  await patchSpec(namespace, 'acme', { backup: {} });
  await waitFor('role back with spec.backup', async () => !(await roleGone(name)));
  await deletePlatform(namespace, 'acme');
  await waitFor('platform gone', async () => (await getPlatform(namespace, 'acme')) === undefined);
  t.true(await roleGone(name), 'the role went with the platform');
  const list = await events.listNamespacedEvent({ namespace });
  t.true(
    list.items.some((e) => e.reason === 'BackupRoleDeleted' && e.regarding?.name === 'acme'),
    'an event says the role was deleted and the backups kept',
  );
});
