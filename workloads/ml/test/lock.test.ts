import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLock } from '../src/build/lock.js';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'ml-lock-')), 'build.lock');

test('a lock left behind by a build that died is taken over, not waited on', async (t) => {
  t.timeout(15_000);
  const lock = lockIn();
  mkdirSync(lock);
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
  utimesSync(lock, fiveMinutesAgo, fiveMinutesAgo);
  t.is(await withLock(lock, async () => 'built'), 'built');
  t.false(existsSync(lock));
});

test('a live holder keeps others out until it is done', async (t) => {
  const lock = lockIn();
  const spans: { name: string; start: number; end: number }[] = [];
  const hold = (name: string) =>
    withLock(lock, async () => {
      const start = Date.now();
      await sleep(1_200);
      spans.push({ name, start, end: Date.now() });
    });
  await Promise.all([hold('a'), hold('b')]);
  t.is(spans.length, 2);
  const [first, second] = spans.sort((x, y) => x.start - y.start);
  t.true(second!.start >= first!.end, `${second!.name} started while ${first!.name} held the lock`);
});

test('the lock is released when the build fails', async (t) => {
  t.timeout(15_000);
  const lock = lockIn();
  await t.throwsAsync(
    withLock(lock, () => Promise.reject(new Error('training diverged'))),
    {
      message: 'training diverged',
    },
  );
  t.false(existsSync(lock));
  t.is(await withLock(lock, async () => 'again'), 'again');
});
