// The worker's autoscaling as the CRD package resolves and checks it, and the queue names it shares
// with the API (whose test proves them against a real BullMQ queue: workloads/api/test/queue-keys.test.ts).
import test from 'ava';
import {
  DATA_SECRET_KEYS,
  bullmqPrefix,
  checkPlatform,
  connectionLimit,
  ingestWaitListKey,
  peakPods,
  redisScalerValues,
  resolveSpec,
  runningSpec,
  type SentimentPlatformSpec,
} from '../src/index.js';

const check = (spec: SentimentPlatformSpec) => checkPlatform({ metadata: { name: 'acme' }, spec });

test('profiles: a fixed worker in demo, queue-driven elsewhere (ultra-low-cost down to zero)', (t) => {
  t.deepEqual(resolveSpec({ profile: 'demo' }).worker.autoscaling, {
    enabled: false,
    min: 1,
    max: 3,
    targetQueueLength: 4,
  });
  t.deepEqual(resolveSpec({ profile: 'production' }).worker.autoscaling, {
    enabled: true,
    min: 2,
    max: 10,
    targetQueueLength: 4,
  });
  t.like(resolveSpec({ profile: 'ultra-low-cost' }).worker.autoscaling, { enabled: true, min: 0, max: 2 });
  t.like(
    resolveSpec({ profile: 'demo', worker: { autoscaling: { enabled: true, targetQueueLength: 9 } } }).worker
      .autoscaling,
    { enabled: true, min: 1, max: 3, targetQueueLength: 9 },
  );
});

test("a max below the profile's min is refused once the profile is applied", (t) => {
  t.deepEqual(check({ profile: 'production', worker: { autoscaling: { max: 1 } } }).problems, [
    'worker.autoscaling.min (2) exceeds worker.autoscaling.max (1) once the profile is applied: set both',
  ]);
});

test("warnings: a min of 0 the user wrote (KEDA only), and a Redis Secret of the user's (CPU scaling)", (t) => {
  const minZero = check({ profile: 'production', worker: { autoscaling: { min: 0 } } });
  t.is(minZero.warnings.filter((w) => w.includes('worker.autoscaling.min 0')).length, 1);
  t.false(
    check({ profile: 'ultra-low-cost' }).warnings.some((w) => w.startsWith('worker.')),
    "the profile's own 0 is no news to the user",
  );
  const redis = { data: { redis: { secretRef: { name: 'my-redis' } } } };
  t.true(
    check({ profile: 'production', ...redis }).warnings.some((w) =>
      w.startsWith('worker.autoscaling: data.redis.secretRef'),
    ),
  );
  t.false(
    check({ profile: 'demo', ...redis }).warnings.some((w) => w.startsWith('worker.')),
    'demo does not autoscale its worker',
  );
});

test("hibernate turns the worker's autoscaler off with the others", (t) => {
  const asleep = runningSpec(resolveSpec({ profile: 'production', hibernate: true }));
  t.like(asleep.worker, { replicas: 0, autoscaling: { enabled: false } });
});

test("peak pods and the Postgres connection limit count the worker's autoscaling max", (t) => {
  const production = resolveSpec({ profile: 'production' });
  t.is(peakPods(production.worker), 10 + 3);
  t.is(connectionLimit(production), 4 * (20 + 5 + (10 + 3)) + 3);
  const fixed = resolveSpec({ profile: 'production', worker: { autoscaling: { enabled: false } } });
  t.is(peakPods(fixed.worker), 2 + 1);
});

test("the ingest queue's wait list lies under the tenant's key prefix, as BullMQ names it", (t) => {
  t.is(bullmqPrefix('t_0123:'), 't_0123');
  t.is(ingestWaitListKey('t_0123:'), 't_0123:ingest:wait');
});

test("the Redis URL in KEDA's parts: address, user, decoded password, TLS by scheme", (t) => {
  t.deepEqual(redisScalerValues('rediss://t_1:p%40ss%2Fw@redis.example.com:6380'), {
    REDIS_ADDRESS: 'redis.example.com:6380',
    REDIS_USERNAME: 't_1',
    REDIS_PASSWORD: 'p@ss/w',
    REDIS_TLS: 'enable',
  });
  t.like(redisScalerValues('redis://u:p@10.0.0.1'), { REDIS_ADDRESS: '10.0.0.1:6379', REDIS_TLS: 'disable' });
  t.is(DATA_SECRET_KEYS.redis, 'REDIS_URL', 'the parts sit next to the URL in the same Secret');
});
