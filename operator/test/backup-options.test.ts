// The backup flags as `run` and the kubectl plugin read them: from a flag, else from the chart's
// environment; the per-tenant role flags all three or none, each checked for its shape.
import test from 'ava';
import { OPERATOR_SYNTH_ENV } from '@sentiment/crds';
import { backupFlags, backupOptions } from '../src/commands/backup-options.js';

const ROLE_FLAGS = {
  'backup-role-prefix': 'sentiment-demo-',
  'backup-role-boundary': 'arn:aws:iam::123456789012:policy/TenantBackupBoundary',
  'backup-oidc-provider': 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC',
};
const noEnv = () => undefined;

test('all three role flags give tenantRoles; none give none', (t) => {
  t.deepEqual(backupOptions({ 'backup-bucket': 'b', ...ROLE_FLAGS }, noEnv), {
    bucket: 'b',
    tenantRoles: {
      namePrefix: 'sentiment-demo-',
      permissionsBoundaryArn: ROLE_FLAGS['backup-role-boundary'],
      oidcProviderArn: ROLE_FLAGS['backup-oidc-provider'],
    },
  });
  t.deepEqual(backupOptions({ 'backup-bucket': 'b' }, noEnv), { bucket: 'b' });
});

test('the environment stands in for a flag; a flag wins', (t) => {
  const env: Record<string, string> = {
    [OPERATOR_SYNTH_ENV.backupRolePrefix]: 'from-env-',
    [OPERATOR_SYNTH_ENV.backupRoleBoundaryArn]: ROLE_FLAGS['backup-role-boundary'],
    [OPERATOR_SYNTH_ENV.backupOidcProviderArn]: ROLE_FLAGS['backup-oidc-provider'],
  };
  t.is(backupOptions({}, (n) => env[n]).tenantRoles?.namePrefix, 'from-env-');
  t.is(backupOptions({ 'backup-role-prefix': 'flag-' }, (n) => env[n]).tenantRoles?.namePrefix, 'flag-');
});

test('one role flag alone, a prefix IAM would refuse, or ARNs of the wrong kind: an error naming the flag', (t) => {
  t.throws(() => backupOptions({ 'backup-role-prefix': 'p-' }, noEnv), {
    message: /--backup-role-boundary, --backup-oidc-provider: per-tenant backup roles need all of/,
  });
  t.throws(() => backupOptions({ ...ROLE_FLAGS, 'backup-role-prefix': 'x'.repeat(33) }, noEnv), {
    message: /--backup-role-prefix x+: must match/,
  });
  t.throws(
    () => backupOptions({ ...ROLE_FLAGS, 'backup-role-boundary': 'arn:aws:iam::123456789012:role/x' }, noEnv),
    { message: /--backup-role-boundary .*: not an IAM policy ARN/ },
  );
  t.throws(() => backupOptions({ ...ROLE_FLAGS, 'backup-oidc-provider': 'https://oidc.example' }, noEnv), {
    message: /--backup-oidc-provider: "https:\/\/oidc.example" is not an IAM OIDC provider ARN/,
  });
});

test('backupFlags picks the backup flags out of parsed arguments, strings only', (t) => {
  t.deepEqual(backupFlags({ 'backup-bucket': 'b', 'backup-region': true, 'ingress-group': 'g' }), {
    'backup-bucket': 'b',
  });
});
