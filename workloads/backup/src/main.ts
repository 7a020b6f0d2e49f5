// Container entry point: `node dist/main.js backup` (the CronJob, crds BACKUP_ARGS) or
// `node dist/main.js restore` (a restore Job, RESTORE_ARGS). Exit 0 only when everything succeeded;
// BACKUP_RETENTION_FAILED_EXIT when the backup was uploaded but retention failed (the Job is not retried);
// otherwise 1. The reason is one JSON log line.
import { BACKUP_ARGS, BACKUP_RETENTION_FAILED_EXIT, RESTORE_ARGS } from '@sentiment/crds';
import { RetentionError, runBackup } from './backup.js';
import { loadConfig } from './config.js';
import { createLogger, errorMessage } from './log.js';
import { runRestore } from './restore.js';
import { createS3 } from './s3.js';

const command = process.argv[2];
const log = createLogger(command ?? '');
// SIGTERM (a Job's deletion or deadline) kills the child and aborts the upload; the process then exits 1.
const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => controller.abort(sig));

async function main(): Promise<void> {
  if (command !== BACKUP_ARGS[0] && command !== RESTORE_ARGS[0])
    throw new Error(`usage: main.js ${BACKUP_ARGS[0]}|${RESTORE_ARGS[0]} (got ${command ?? 'nothing'})`);
  const config = loadConfig(command);
  const s3 = createS3({ region: config.region });
  try {
    if (config.command === 'backup') await runBackup(config, { s3, log, signal: controller.signal });
    else await runRestore(config, { s3, log, signal: controller.signal });
  } finally {
    s3.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log.error(`${command ?? 'backup tool'} failed: ${errorMessage(err)}`);
    process.exit(err instanceof RetentionError ? BACKUP_RETENTION_FAILED_EXIT : 1);
  },
);
