// --backup-bucket, --backup-region, --backup-endpoint-url and the --backup-role-* flags, shared by `run`
// and the kubectl plugin (which reads them off the operator's Deployment to render as the operator does):
// where tenants' backups go, and with which identity.
import { BACKUP_ROLE_PREFIX_PATTERN, OPERATOR_SYNTH_ENV } from '@sentiment/crds';
import { parseOidcProviderArn, type BackupOptions } from '../synth/index.js';
import { CommandError } from './manifests.js';

/** run's spelling of the backup options, for parseArgs. */
export const BACKUP_FLAGS = {
  'backup-bucket': { type: 'string' },
  'backup-region': { type: 'string' },
  'backup-endpoint-url': { type: 'string' },
  'backup-role-prefix': { type: 'string' },
  'backup-role-boundary': { type: 'string' },
  'backup-oidc-provider': { type: 'string' },
} as const;

type Flag = keyof typeof BACKUP_FLAGS;
type Flags = { [K in Flag]?: string };

const ENV_OF: Record<Flag, string> = {
  'backup-bucket': OPERATOR_SYNTH_ENV.backupBucket,
  'backup-region': OPERATOR_SYNTH_ENV.backupRegion,
  'backup-endpoint-url': OPERATOR_SYNTH_ENV.backupEndpointUrl,
  'backup-role-prefix': OPERATOR_SYNTH_ENV.backupRolePrefix,
  'backup-role-boundary': OPERATOR_SYNTH_ENV.backupRoleBoundaryArn,
  'backup-oidc-provider': OPERATOR_SYNTH_ENV.backupOidcProviderArn,
};

const ROLE_FLAGS = ['backup-role-prefix', 'backup-role-boundary', 'backup-oidc-provider'] as const;

/** The backup flags among parsed arguments (parseArgs' values, strict or not). */
export function backupFlags(values: Record<string, unknown>): Flags {
  return Object.fromEntries(
    (Object.keys(BACKUP_FLAGS) as Flag[]).flatMap((f) =>
      typeof values[f] === 'string' ? [[f, values[f]]] : [],
    ),
  );
}

/**
 * Each option from its flag, else from the environment variable the chart sets. The role flags come all
 * three or none; a malformed one is a CommandError naming it.
 */
export function backupOptions(flags: Flags, env: (name: string) => string | undefined): BackupOptions {
  const get = (f: Flag) => flags[f] ?? env(ENV_OF[f]);
  const bucket = get('backup-bucket');
  const region = get('backup-region');
  const endpointUrl = get('backup-endpoint-url');
  const given = ROLE_FLAGS.filter((f) => get(f));
  if (given.length > 0 && given.length < ROLE_FLAGS.length)
    throw new CommandError(
      `--${ROLE_FLAGS.filter((f) => !get(f)).join(', --')}: per-tenant backup roles need all of --${ROLE_FLAGS.join(', --')} (given: --${given.join(', --')})`,
      2,
    );
  const namePrefix = get('backup-role-prefix');
  const permissionsBoundaryArn = get('backup-role-boundary');
  const oidcProviderArn = get('backup-oidc-provider');
  if (namePrefix && !new RegExp(BACKUP_ROLE_PREFIX_PATTERN).test(namePrefix))
    throw new CommandError(`--backup-role-prefix ${namePrefix}: must match ${BACKUP_ROLE_PREFIX_PATTERN}`, 2);
  if (permissionsBoundaryArn && !/^arn:aws[a-z-]*:iam::\d{12}:policy\/\S+$/.test(permissionsBoundaryArn))
    throw new CommandError(`--backup-role-boundary ${permissionsBoundaryArn}: not an IAM policy ARN`, 2);
  if (oidcProviderArn) {
    try {
      parseOidcProviderArn(oidcProviderArn);
    } catch (err) {
      throw new CommandError(`--backup-oidc-provider: ${(err as Error).message}`, 2);
    }
  }
  return {
    ...(bucket && { bucket }),
    ...(region && { region }),
    ...(endpointUrl && { endpointUrl }),
    ...(namePrefix &&
      permissionsBoundaryArn &&
      oidcProviderArn && { tenantRoles: { namePrefix, permissionsBoundaryArn, oidcProviderArn } }),
  };
}
