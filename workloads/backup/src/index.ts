// The tool's parts, for tests and for callers that run a backup or restore in process.
export { runBackup, PG_DUMP_ARGS, PART_SIZE, type BackupDeps, type BackupResult } from './backup.js';
export {
  runRestore,
  resolveRestoreKey,
  checkRestoreKey,
  RestoreRefused,
  PG_RESTORE_ARGS,
  type RestoreDeps,
  type RestoreResult,
} from './restore.js';
export {
  loadConfig,
  ConfigError,
  COMMANDS,
  type Command,
  type Config,
  type BackupConfig,
  type RestoreConfig,
} from './config.js';
export { keysToDelete, backupsNewestFirst, isBackupKey, type RetentionOptions } from './retention.js';
export { createS3, listKeys, deleteKeys } from './s3.js';
export { createLogger, errorMessage } from './log.js';
