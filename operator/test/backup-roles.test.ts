// The platforms' own backup roles, made in IAM by the real SDK against moto's IAM: what a role holds (path,
// boundary, trust, the one inline policy, the operator's tag), that a second look costs no request, that a
// trust or policy edited by hand is put back, that a role the operator did not make is left alone, and
// that removal deletes the role with its policies and is idempotent.
import test from 'ava';
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { BACKUP_ROLE_PATH, backupRoleName } from '@sentiment/crds';
import { awsClientConfig, loadTestEnv } from '@sentiment/testenv';
import {
  BACKUP_ROLE_POLICY_NAME,
  type TenantBackupRole,
  type TenantRolesOptions,
} from '../src/synth/index.js';
import { tenantBackupRole } from '../src/synth/backup-role.js';
import { BACKUP_ROLE_TAG, BackupRoles } from '../src/tenancy/backup-role.js';
import { sentCommands } from './sent-commands.js';

const env = loadTestEnv();
const run = Date.now().toString(36);
const client = new IAMClient(awsClientConfig(env));
const sent = sentCommands(client);

const ACCOUNT = '123456789012';
let boundary = '';
const roles = (): TenantRolesOptions => ({
  namePrefix: `t${run}-`,
  permissionsBoundaryArn: boundary,
  oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/T${run}`,
});
const roleOf = (platform: string, prefix = `ns-${run}/t_x/`): TenantBackupRole =>
  tenantBackupRole({ namespace: `ns-${run}`, platform, bucket: 'backups', prefix, roles: roles() });
const decode = (doc: string | undefined) => JSON.parse(decodeURIComponent(doc ?? '{}')) as unknown;

test.before(async () => {
  const out = await client.send(
    new CreatePolicyCommand({
      PolicyName: `boundary-${run}`,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::backups/*' }],
      }),
    }),
  );
  boundary = out.Policy!.Arn!;
});

test('ensure makes the role: path, boundary, trust, one inline policy, the tag; again, without a request', async (t) => {
  const backupRoles = new BackupRoles({ client, roles: roles() });
  const role = roleOf('acme');
  t.is(role.name, backupRoleName(`t${run}-`, `ns-${run}`, 'acme'));
  await backupRoles.ensure(role);
  const got = (await client.send(new GetRoleCommand({ RoleName: role.name }))).Role!;
  t.is(got.Path, BACKUP_ROLE_PATH);
  t.is(got.Arn, role.arn, 'the ARN synth annotates the ServiceAccount with');
  t.is(got.PermissionsBoundary?.PermissionsBoundaryArn, boundary);
  t.deepEqual(decode(got.AssumeRolePolicyDocument), role.trustPolicy);
  t.deepEqual(got.Tags, [{ Key: BACKUP_ROLE_TAG, Value: `ns-${run}/acme-backup` }]);
  const policies = await client.send(new ListRolePoliciesCommand({ RoleName: role.name }));
  t.deepEqual(policies.PolicyNames, [BACKUP_ROLE_POLICY_NAME]);
  const policy = await client.send(
    new GetRolePolicyCommand({ RoleName: role.name, PolicyName: BACKUP_ROLE_POLICY_NAME }),
  );
  t.deepEqual(decode(policy.PolicyDocument), role.policy);

  sent.length = 0;
  await backupRoles.ensure(role);
  t.deepEqual(sent, [], 'a role ensured within the interval is not asked for again');
});

test('a trust or policy changed by hand, and a policy added by hand, are put back on the next look', async (t) => {
  let now = 0;
  const backupRoles = new BackupRoles({ client, roles: roles(), now: () => now, verifyIntervalMs: 1000 });
  const role = roleOf('drift');
  await backupRoles.ensure(role);
  const wide = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::backups/*' }],
  });
  await client.send(
    new PutRolePolicyCommand({
      RoleName: role.name,
      PolicyName: BACKUP_ROLE_POLICY_NAME,
      PolicyDocument: wide,
    }),
  );
  await client.send(
    new PutRolePolicyCommand({ RoleName: role.name, PolicyName: 'by-hand', PolicyDocument: wide }),
  );
  const anyone = { ...role.trustPolicy, Statement: [{ ...role.trustPolicy.Statement[0]!, Condition: {} }] };
  await client.send(
    new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: JSON.stringify(anyone) }),
  );

  await backupRoles.ensure(role);
  let got = (await client.send(new GetRoleCommand({ RoleName: role.name }))).Role!;
  t.notDeepEqual(
    decode(got.AssumeRolePolicyDocument),
    role.trustPolicy,
    'within the interval nothing is asked',
  );

  now += 1001;
  await backupRoles.ensure(role);
  got = (await client.send(new GetRoleCommand({ RoleName: role.name }))).Role!;
  t.deepEqual(decode(got.AssumeRolePolicyDocument), role.trustPolicy);
  const policies = await client.send(new ListRolePoliciesCommand({ RoleName: role.name }));
  t.deepEqual(policies.PolicyNames, [BACKUP_ROLE_POLICY_NAME]);
  const policy = await client.send(
    new GetRolePolicyCommand({ RoleName: role.name, PolicyName: BACKUP_ROLE_POLICY_NAME }),
  );
  t.deepEqual(decode(policy.PolicyDocument), role.policy);

  // A new prefix (the platform's tenant id changed) is a new policy at once: the role's digest changed.
  const moved = roleOf('drift', `ns-${run}/t_y/`);
  await backupRoles.ensure(moved);
  const after = await client.send(
    new GetRolePolicyCommand({ RoleName: role.name, PolicyName: BACKUP_ROLE_POLICY_NAME }),
  );
  t.deepEqual(decode(after.PolicyDocument), moved.policy);
});

test('a role of the same name that the operator did not make is refused, and neither changed nor deleted', async (t) => {
  const backupRoles = new BackupRoles({ client, roles: roles() });
  const role = roleOf('foreign');
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });
  await client.send(
    new CreateRoleCommand({ RoleName: role.name, Path: role.path, AssumeRolePolicyDocument: trust }),
  );
  await t.throwsAsync(backupRoles.ensure(role), { message: /exists but is not this platform's backup role/ });
  await t.throwsAsync(backupRoles.removeFor(`ns-${run}`, 'foreign', true), {
    message: /not this platform's backup role/,
  });
  const got = (await client.send(new GetRoleCommand({ RoleName: role.name }))).Role!;
  t.deepEqual(decode(got.AssumeRolePolicyDocument), JSON.parse(trust));
});

test('removeFor deletes the role and its policy; again it finds nothing, and without force asks nothing', async (t) => {
  const backupRoles = new BackupRoles({ client, roles: roles() });
  const role = roleOf('gone');
  await backupRoles.ensure(role);
  t.true(await backupRoles.removeFor(`ns-${run}`, 'gone'));
  await t.throwsAsync(client.send(new GetRoleCommand({ RoleName: role.name })), {
    instanceOf: NoSuchEntityException,
  });
  t.false(await backupRoles.removeFor(`ns-${run}`, 'gone', true));
  sent.length = 0;
  t.false(await backupRoles.removeFor(`ns-${run}`, 'gone'));
  t.deepEqual(sent, [], 'a platform without backups costs no request per reconcile');
});

test('a role whose boundary differs from the installation one is made anew with it', async (t) => {
  const backupRoles = new BackupRoles({ client, roles: roles() });
  const role = roleOf('reboundary');
  const other = await client.send(
    new CreatePolicyCommand({
      PolicyName: `other-boundary-${run}`,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      }),
    }),
  );
  await new BackupRoles({
    client,
    roles: { ...roles(), permissionsBoundaryArn: other.Policy!.Arn! },
  }).ensure({ ...role, permissionsBoundaryArn: other.Policy!.Arn! });
  await backupRoles.ensure(role);
  const got = (await client.send(new GetRoleCommand({ RoleName: role.name }))).Role!;
  t.is(got.PermissionsBoundary?.PermissionsBoundaryArn, boundary);
  t.deepEqual(got.Tags, [{ Key: BACKUP_ROLE_TAG, Value: `ns-${run}/reboundary-backup` }]);
});
