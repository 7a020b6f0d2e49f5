// The worker's KEDA trigger (operator/src/synth/worker-scaling.ts) counts the list that @sentiment/crds
// names: this proves BullMQ really keeps the waiting uploads there, with a real queue on the test Redis
// under a tenant-style key prefix, so a BullMQ upgrade or a renamed queue fails here, not in production.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ingestWaitListKey } from '@sentiment/crds';
import { loadTestEnv } from '@sentiment/testenv';
import { bullmqQueue } from '../src/queue/bullmq.js';
import { deleteRedisKeys } from './helpers.js';

const prefix = `apitest-${randomBytes(4).toString('hex')}:`;
test.after.always(() => deleteRedisKeys([prefix]));

test('an enqueued upload waits in the Redis list the KEDA trigger counts', async (t) => {
  const url = loadTestEnv().REDIS_URL;
  const queue = bullmqQueue({ redisUrl: url, prefix, log: pino({ level: 'silent' }) });
  const redis = new Redis(url);
  try {
    await queue.enqueue('job-1');
    await queue.enqueue('job-2');
    const key = ingestWaitListKey(prefix);
    t.is(await redis.type(key), 'list');
    t.deepEqual((await redis.lrange(key, 0, -1)).sort(), ['job-1', 'job-2']);
  } finally {
    await queue.close();
    redis.disconnect();
  }
});
