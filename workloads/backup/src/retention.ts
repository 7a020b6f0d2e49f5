// Which backups to delete after a successful one. Pure, so the rules are tested without a bucket: only
// keys under the tenant's prefix that end in BACKUP_SUFFIX are backups (anything else an operator put
// there is left alone), keys sort by time as text (crds backupKey), and the backup just written is kept
// whatever the listing says (a clock that went backwards must not cost the newest dump).
import { BACKUP_SUFFIX } from '@sentiment/crds';

export function isBackupKey(key: string, prefix: string): boolean {
  return (
    key.startsWith(prefix) && key.endsWith(BACKUP_SUFFIX) && key.length > prefix.length + BACKUP_SUFFIX.length
  );
}

/** The backup keys of `listing` under `prefix`, newest first. */
export function backupsNewestFirst(listing: readonly string[], prefix: string): string[] {
  return [...new Set(listing.filter((key) => isBackupKey(key, prefix)))].sort().reverse();
}

export interface RetentionOptions {
  prefix: string;
  /** How many of the newest backups to keep (at least 1). */
  retain: number;
  /** The backup just written: never deleted. */
  keep: string;
}

/** The keys to delete: the backups under the prefix beyond the newest `retain`, never `keep`. */
export function keysToDelete(
  listing: readonly string[],
  { prefix, retain, keep }: RetentionOptions,
): string[] {
  if (!Number.isInteger(retain) || retain < 1) throw new RangeError(`retain must be a positive integer`);
  return backupsNewestFirst(listing, prefix)
    .slice(retain)
    .filter((key) => key !== keep);
}
