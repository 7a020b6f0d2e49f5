import test from 'ava';
import { ModelPool } from '../src/model-pool.js';
import { configFromEnv, createMlServer, type MlServer } from '../src/server.js';
import { modelDir } from './model-fixture.js';

let server: MlServer;
let url: string;
test.before(async () => {
  const dir = await modelDir();
  const config = {
    ...configFromEnv({}),
    modelDir: dir,
    maxTexts: 16,
    maxTextBytes: 2000,
    batchWindowMs: 10,
    maxBatch: 32,
    threads: 2,
    // One worker: the batching test below counts model calls (two workers share what waits between them).
    workers: 1,
  };
  server = await createMlServer(config, { log: (await import('pino')).pino({ level: 'silent' }) });
  url = await server.listen(0);
});
test.after.always(async () => {
  await server?.close();
});

const post = (path: string, body: unknown, base = url) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('POST /v1/sentiment returns one result per text, in order', async (t) => {
  const res = await post('/v1/sentiment', {
    texts: ['I love it, thank you!', 'This is broken and I am angry.'],
  });
  t.is(res.status, 200);
  const { results } = (await res.json()) as { results: { label: string; score: number }[] };
  t.deepEqual(
    results.map((r) => r.label),
    ['positive', 'negative'],
  );
});

// Serial: ava runs a file's other tests concurrently, and they would share the batcher and its counters.
test.serial(
  'requests that arrive while the model is busy are batched together, each getting exactly its own results',
  async (t) => {
    const before = await server.registry.getSingleMetric('sentiment_ml_batch_size')!.get();
    const texts = Array.from({ length: 24 }, (_, i) =>
      i % 2 ? `Awful experience number ${i}, nothing works.` : `Great help number ${i}, thanks a lot!`,
    );
    const individually = await server.model.classify(texts);
    // Sixteen ~500-token texts keep the model busy for a while; the singles queue behind them.
    const busy = post('/v1/sentiment', {
      texts: Array.from({ length: 16 }, (_, i) =>
        `ticket ${i}: ${'the agent was polite but slow. '.repeat(70)}`.slice(0, 1990),
      ),
    });
    await new Promise((r) => setTimeout(r, 30));
    const responses = await Promise.all(
      texts.map((text) => post('/v1/sentiment', { texts: [text] }).then((r) => r.json())),
    );
    t.is((await busy).status, 200);
    responses.forEach((body, i) => {
      const [r] = (body as { results: { label: string; score: number }[] }).results;
      t.is(r!.label, individually[i]!.label);
      t.true(Math.abs(r!.score - individually[i]!.score) < 1e-5, 'the same score batched or alone');
    });
    const after = await server.registry.getSingleMetric('sentiment_ml_batch_size')!.get();
    const value = (m: typeof after, suffix: string) =>
      m.values.find((v) => (v as { metricName?: string }).metricName === `sentiment_ml_batch_size_${suffix}`)
        ?.value ?? 0;
    t.is(
      value(after, 'sum') - value(before, 'sum'),
      16 + texts.length,
      'every text went through the batcher once',
    );
    const calls = value(after, 'count') - value(before, 'count');
    t.true(calls <= 3, `the busy request and 24 queued single-text requests took ${calls} model calls`);
  },
);

test.serial(
  'health checks are answered while a long batch runs (the model has its own thread)',
  async (t) => {
    let finished = false;
    const busy = post('/v1/sentiment', {
      texts: Array.from({ length: 16 }, (_, i) =>
        `case ${i}: ${'the refund never arrived. '.repeat(80)}`.slice(0, 1990),
      ),
    }).then((r) => {
      finished = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${url}/healthz`);
    t.is(health.status, 200);
    t.false(finished, '/healthz answered before the batch finished');
    t.is((await busy).status, 200);
  },
);

test('POST /v1/embeddings returns 384-d vectors', async (t) => {
  const res = await post('/v1/embeddings', { texts: ['refund please', 'where is my parcel'] });
  const body = (await res.json()) as { dimensions: number; embeddings: number[][] };
  t.is(body.dimensions, 384);
  t.is(body.embeddings.length, 2);
  t.is(body.embeddings[0]!.length, 384);
});

test('bad input gets 400 with a message saying what to fix', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{}, /body must be JSON \{"texts"/],
    [{ texts: [] }, /texts is empty/],
    [{ texts: Array(17).fill('x') }, /too many texts: 17 > 16/],
    [{ texts: ['ok', 'y'.repeat(2001)] }, /texts\[1\] is too long: 2001 bytes > 2000/],
    [{ texts: ['ok', 42] }, /texts\[1\] must be a string, got number/],
  ];
  for (const [body, message] of cases) {
    const res = await post('/v1/sentiment', body);
    t.is(res.status, 400);
    t.regex(((await res.json()) as { error: string }).error, message);
  }
  const notJson = await fetch(`${url}/v1/sentiment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"texts": [',
  });
  t.is(notJson.status, 400);
});

test('health, readiness and metrics', async (t) => {
  t.is((await fetch(`${url}/healthz`)).status, 200);
  const ready = await fetch(`${url}/readyz`);
  t.is(ready.status, 200);
  t.regex(JSON.stringify(await ready.json()), /bge-small/);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.regex(metrics, /sentiment_ml_requests_total\{route="\/v1\/sentiment",status="200"\} \d+/);
  t.regex(metrics, /sentiment_ml_texts_total\{route="sentiment"\} \d+/);
});

test('two model workers score concurrent requests exactly as one does', async (t) => {
  const two = await createMlServer(
    { ...configFromEnv({}), modelDir: await modelDir(), threads: 2, workers: 2, maxBatch: 8 },
    { log: (await import('pino')).pino({ level: 'silent' }) },
  );
  try {
    t.true(two.model instanceof ModelPool && two.model.size === 2);
    const at = await two.listen(0);
    const requests = Array.from({ length: 4 }, (_, r) =>
      Array.from({ length: 12 }, (_, i) =>
        (r + i) % 3
          ? `Request ${r}, comment ${i}: thanks, it works again.`
          : `Request ${r}: still broken ${i}.`,
      ),
    );
    const bodies = await Promise.all(
      requests.map((texts) =>
        post('/v1/sentiment', { texts }, at).then((r) => r.json() as Promise<{ results: unknown[] }>),
      ),
    );
    for (const [r, texts] of requests.entries())
      t.deepEqual(bodies[r]!.results, await server.model.classify(texts));
  } finally {
    await two.close();
  }
});

test('ML_WORKERS: two by default, one on a single thread, never more than ML_THREADS', (t) => {
  t.is(configFromEnv({ ML_THREADS: '4' }).workers, 2);
  t.is(configFromEnv({ ML_THREADS: '1' }).workers, 1);
  t.is(configFromEnv({ ML_THREADS: '4', ML_WORKERS: '4' }).workers, 4);
  t.throws(() => configFromEnv({ ML_THREADS: '2', ML_WORKERS: '3' }), {
    message: 'ML_WORKERS (3) must be ≤ ML_THREADS (2): each worker runs on its own thread',
  });
  t.throws(() => configFromEnv({ ML_WORKERS: '0' }), { message: /ML_WORKERS must be an integer ≥ 1/ });
});
