import test from 'ava';
import { BACKUP_SUFFIX, backupKey } from '@sentiment/crds';
import { backupsNewestFirst, isBackupKey, keysToDelete } from '../src/retention.js';

const prefix = 'tenant-a/uid-1/';
const at = (day: number) => backupKey(prefix, new Date(Date.UTC(2026, 0, day, 3, 0, 0)));

test('keeps the newest N backups and deletes the older ones, oldest last', (t) => {
  const listing = [at(3), at(1), at(5), at(2), at(4)];
  t.deepEqual(keysToDelete(listing, { prefix, retain: 2, keep: at(5) }), [at(3), at(2), at(1)]);
  t.deepEqual(keysToDelete(listing, { prefix, retain: 5, keep: at(5) }), []);
  t.deepEqual(keysToDelete(listing, { prefix, retain: 10, keep: at(5) }), []);
});

test('only keys under the prefix ending in the backup suffix count', (t) => {
  const listing = [
    at(1),
    at(2),
    at(3),
    `${prefix}notes.txt`,
    `${prefix}20990101T000000Z.pgdump.tmp`,
    `tenant-a/uid-2/20200101T000000Z${BACKUP_SUFFIX}`,
    `tenant-a/uid-10/20200101T000000Z${BACKUP_SUFFIX}`,
    `other/20200101T000000Z${BACKUP_SUFFIX}`,
    `${prefix}${BACKUP_SUFFIX}`,
  ];
  t.deepEqual(keysToDelete(listing, { prefix, retain: 1, keep: at(3) }), [at(2), at(1)]);
  t.false(isBackupKey(`${prefix}${BACKUP_SUFFIX}`, prefix));
  t.false(isBackupKey(`tenant-a/uid-10/x${BACKUP_SUFFIX}`, 'tenant-a/uid-1/'));
});

test('never deletes the backup just written, even when the listing ranks it old', (t) => {
  // A clock that went backwards: the new key sorts below backups taken before it.
  const justWritten = at(1);
  const listing = [at(1), at(2), at(3), at(4)];
  const deleted = keysToDelete(listing, { prefix, retain: 2, keep: justWritten });
  t.false(deleted.includes(justWritten));
  t.deepEqual(deleted, [at(2)]);
});

test('a listing with duplicates or no backups deletes nothing twice', (t) => {
  t.deepEqual(keysToDelete([], { prefix, retain: 1, keep: at(1) }), []);
  t.deepEqual(keysToDelete([at(1), at(1), at(2), at(2)], { prefix, retain: 1, keep: at(2) }), [at(1)]);
  t.deepEqual(backupsNewestFirst([at(1), at(3), at(2)], prefix), [at(3), at(2), at(1)]);
});

test('retain must be a positive integer', (t) => {
  t.throws(() => keysToDelete([at(1)], { prefix, retain: 0, keep: at(1) }), { instanceOf: RangeError });
  t.throws(() => keysToDelete([at(1)], { prefix, retain: 1.5, keep: at(1) }), { instanceOf: RangeError });
});
