// Uploads live in the tenant's database (the shared RDS) until their jobs end: a tenant's stored uploads
// are capped, and an upload that would go past the cap is refused whole, with nothing of it kept.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { loadTestEnv } from '@sentiment/testenv';
import { createApiServer } from '../src/server.js';
import { createTestDatabase, deleteRedisKeys, testConfig } from './helpers.js';

const MiB = 1024 * 1024;
/** A CSV of about `bytes` bytes that the default Jira mapping takes. */
const csvOf = (bytes: number) => {
  const row = `KEY-1,${'x'.repeat(990)},Open,Medium,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z\n`;
  return 'Issue key,Summary,Status,Priority,Created,Updated\n' + row.repeat(Math.ceil(bytes / row.length));
};

test('an upload past the tenant quota is refused with 429 and leaves nothing; uploads within it are kept', async (t) => {
  const tdb = await createTestDatabase('upload_quota');
  t.teardown(() => tdb.drop());
  const prefix = `quotatest-${randomBytes(4).toString('hex')}:`;
  t.teardown(() => deleteRedisKeys([prefix]));
  // With Redis the jobs wait in the queue for a worker (none here): their uploads stay stored.
  const api = await createApiServer(
    testConfig({
      DATABASE_URL: tdb.url,
      REDIS_URL: loadTestEnv().REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      UPLOAD_QUOTA_BYTES: String(3 * MiB),
    }),
  );
  t.teardown(() => api.close());
  t.is(api.deps.queue.name, 'bullmq');
  const base = await api.listen(0);
  const token = await api.deps.tokens.issue('analyst@tenant.example', 'analyst');
  const send = async (bytes: number, filename: string) => {
    const form = new FormData();
    form.append('file', new Blob([csvOf(bytes)]), filename);
    const res = await fetch(`${base}/v1/ingest/csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as { error?: string; id?: string } };
  };
  const stored = async () =>
    (
      await tdb.db.query<{ jobs: number; bytes: number }>(
        `SELECT (SELECT count(*)::int FROM jobs) AS jobs,
                (SELECT coalesce(sum(octet_length(data)), 0)::int FROM upload_chunks) AS bytes`,
      )
    ).rows[0]!;

  const first = await send(2 * MiB, 'first.csv');
  t.is(first.status, 202, first.body.error);
  const before = await stored();
  t.is(before.jobs, 1);
  t.true(before.bytes >= 2 * MiB);

  const second = await send(2 * MiB, 'second.csv');
  t.is(second.status, 429);
  t.regex(second.body.error!, /uploads waiting for their jobs would exceed 3145728 bytes/);
  t.deepEqual(await stored(), before, "nothing of the refused upload is kept, and the first one's is whole");

  const small = await send(MiB / 2, 'small.csv');
  t.is(small.status, 202, 'what fits in the quota is still taken');
});
