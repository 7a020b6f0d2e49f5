// --backup-bucket, --backup-region, --backup-endpoint-url, shared by `run` and the kubectl plugin (which
// reads them off the operator's Deployment to render as the operator does): where tenants' backups go.
import { OPERATOR_SYNTH_ENV } from '@sentiment/crds';
import type { BackupOptions } from '../synth/index.js';

/** run's spelling of the backup options, for parseArgs. */
export const BACKUP_FLAGS = {
  'backup-bucket': { type: 'string' },
  'backup-region': { type: 'string' },
  'backup-endpoint-url': { type: 'string' },
} as const;

type Flags = { [K in keyof typeof BACKUP_FLAGS]?: string };

/** Each option from its flag, else from the environment variable the chart sets. */
export function backupOptions(flags: Flags, env: (name: string) => string | undefined): BackupOptions {
  const bucket = flags['backup-bucket'] ?? env(OPERATOR_SYNTH_ENV.backupBucket);
  const region = flags['backup-region'] ?? env(OPERATOR_SYNTH_ENV.backupRegion);
  const endpointUrl = flags['backup-endpoint-url'] ?? env(OPERATOR_SYNTH_ENV.backupEndpointUrl);
  return {
    ...(bucket && { bucket }),
    ...(region && { region }),
    ...(endpointUrl && { endpointUrl }),
  };
}
