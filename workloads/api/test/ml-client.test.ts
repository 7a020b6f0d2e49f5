import test from 'ava';
import { scoreTickets } from '../src/ingest/csv-job.js';
import { MlClient } from '../src/ml-client.js';
import { startMl } from './helpers.js';

test('tickets are scored per comment and embedded in batches by the real ML service', async (t) => {
  const ml = await startMl();
  t.teardown(() => ml.server.close());
  const client = new MlClient(ml.url, 2);
  const at = new Date('2024-01-01T00:00:00Z');
  const ticket = (id: string, texts: string[]) => ({
    id,
    summary: `s ${id}`,
    description: '',
    status: null,
    priority: null,
    assignee: null,
    createdAt: null,
    updatedAt: null,
    comments: texts.map((text) => ({ at, author: 'a', text })),
  });
  const out = await scoreTickets(client, [
    ticket('T-1', ['This is awful, I hate it', 'Thank you, wonderful support!', 'x'.repeat(50000)]),
    ticket('T-2', []),
    ticket('T-3', ['great']),
  ]);
  t.deepEqual(
    out.map((o) => o.sentiment.length),
    [3, 0, 1],
  );
  t.is(out[0]!.sentiment[0]!.label, 'negative');
  t.is(out[0]!.sentiment[1]!.label, 'positive');
  t.true(out.every((o) => o.embedding?.length === 384));
});
