import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { pino } from 'pino';
import { mlJobRetry } from '../src/app/worker.js';
import { loadConfig } from '../src/config.js';
import { scoreTickets } from '../src/ingest/csv-job.js';
import { backoffDelay, minRetryWindowMs, MlClient, MlUnavailableError } from '../src/ml-client.js';
import { createApiServer } from '../src/server.js';
import { startMl, testConfig } from './helpers.js';
import { startMlProcess } from './ml-process.js';

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

// Serial: it counts this process's fetches, so no other test of the file may run meanwhile.
test.serial(
  'a call spanning several requests keeps two open at once and returns every result in order',
  async (t) => {
    const ml = await startMl();
    t.teardown(() => ml.server.close());
    const texts = Array.from({ length: 23 }, (_, i) =>
      i % 3 === 0 ? `Ticket ${i}: thanks, that fixed it` : `Ticket ${i}: still broken after ${i} days`,
    );
    const observed: number[] = [];
    let open = 0;
    const realFetch = globalThis.fetch;
    const counting: typeof fetch = async (...args) => {
      observed.push(++open);
      try {
        return await realFetch(...args);
      } finally {
        open--;
      }
    };
    globalThis.fetch = counting;
    let pipelined: number[][];
    try {
      pipelined = await new MlClient(ml.url, 4).embeddings(texts);
    } finally {
      globalThis.fetch = realFetch;
    }
    t.is(observed.length, 6, 'four texts per request');
    t.is(Math.max(...observed), 2, `requests open at once: ${observed.join(', ')}`);
    // Each text's own vector (a text's vector does not depend on its batch), at its own position.
    const oneByOne = await new MlClient(ml.url, 1).embeddings(texts);
    t.deepEqual(pipelined, oneByOne);
  },
);

test('the default retry policy of an ingest job outlasts a 5-minute ML outage; waits are jittered', (t) => {
  const config = loadConfig(
    { SENTIMENT_PLATFORM: 'p', LOCAL_MODE: 'true', ML_URL: 'http://ml:8080' },
    'worker',
  );
  const policy = mlJobRetry(config);
  const window = minRetryWindowMs(policy);
  t.true(window >= 5 * 60_000, `retries for at least ${window / 1000} s`);
  // At most twice that: a job does not hang on a dead service for ever.
  let longest = 0;
  for (let n = 0; n < policy.retries; n++) longest += backoffDelay(policy, n, 1);
  t.is(longest, 2 * window);
  t.true(longest <= 15 * 60_000, `at most ${longest / 1000} s`);
  for (const r of [0, 0.3, 0.99]) {
    const d = backoffDelay(policy, 3, r);
    t.true(d >= 4000 && d <= 8000, `retry 4 waits ${d} ms`);
  }
});

test('5xx answers are retried and 4xx are not; the error users see names the status, never the ML body', async (t) => {
  // The status an ML pod answers while it cannot serve (a proxy's 503, an overloaded 500) is not something
  // the real service can be made to produce on demand: a bare HTTP server plays it.
  const answers = [500, 503, 400];
  const seen: number[] = [];
  const server = createServer((req, res) => {
    const status = answers.shift() ?? 200;
    seen.push(status);
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`internal detail of a ${status}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const client = new MlClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 64, {
    retry: { retries: 1, baseDelayMs: 10, maxDelayMs: 10 },
  });
  const err = await t.throwsAsync(client.sentiment(['hi']), { instanceOf: MlUnavailableError });
  t.is(err?.message, 'the ML service is unavailable: /v1/sentiment failed 2 times, last: answered 503');
  t.regex((err?.cause as Error).message, /internal detail of a 503/, 'the body is kept for the logs');
  const bad = await t.throwsAsync(client.sentiment(['hi']));
  t.false(bad instanceof MlUnavailableError, 'a 400 is a bug, not an outage');
  t.deepEqual(seen, [500, 503, 400], 'the 400 was not retried');
});

test('a hung ML service (SIGSTOP) times out: calls fail with a 503, search and ask answer without semantic ranking; a restarted one is waited for', async (t) => {
  const mlp = await startMlProcess();
  t.teardown(() => mlp.close());
  // One try of 1 s (plus 250 ms per KiB) and one retry: a hung service costs about 2.5 s.
  const api = await createApiServer(testConfig({ ML_URL: mlp.url, ML_TIMEOUT_MS: '1000' }), {
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const token = await api.deps.tokens.issue('ana@example.com', 'analyst');
  const call = (path: string, body?: object) =>
    fetch(`${base}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body && { body: JSON.stringify(body) }),
    });
  // The old client waited for ever: fail after 30 s instead.
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('still waiting after 30 s')), 30_000);
    });
    const v = await Promise.race([f(), stuck]).finally(() => clearTimeout(timer));
    return [v, Date.now() - start];
  };
  const ticket = (id: string, summary: string, text: string) => ({
    id,
    summary,
    comments: [{ at: '2024-03-01T10:00:00Z', author: 'a', text }],
  });
  const seeded = await call('/v1/ingest/json', {
    tickets: [ticket('H-1', 'Printer jams daily', 'The printer is broken again, awful')],
  });
  t.is(seeded.status, 201);

  try {
    mlp.hang();
    const retries: string[] = [];
    const client = new MlClient(mlp.url, 64, {
      timeoutMs: 500,
      retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 100 },
      onRetry: ({ err }) => retries.push(err.name),
    });
    const [err, ms] = await timed(() =>
      t.throwsAsync(client.embeddings(['hello']), { instanceOf: MlUnavailableError }),
    );
    t.is(err?.status, 503);
    t.regex(
      err?.message ?? '',
      /ML service is unavailable: \/v1\/embeddings failed 3 times, last: no answer within 750 ms/,
    );
    t.deepEqual(retries, ['TimeoutError', 'TimeoutError']);
    t.true(ms >= 3 * 750 && ms < 6000, `gave up after ${ms} ms`);

    const [search, searchMs] = await timed(() => call('/v1/search?q=printer'));
    t.is(search.status, 200);
    t.deepEqual(
      ((await search.json()) as { items: { id: string }[] }).items.map((i) => i.id),
      ['H-1'],
      'lexical hits',
    );
    t.true(searchMs < 6000, `search answered after ${searchMs} ms`);

    const [asked, askMs] = await timed(() =>
      call('/v1/ask', { question: 'Why are customers unhappy with the printer?' }),
    );
    t.is(asked.status, 200);
    t.regex(((await asked.json()) as { warning?: string }).warning ?? '', /semantic ranking was unavailable/);
    t.true(askMs < 10_000, `ask answered after ${askMs} ms`);

    const [scored, scoreMs] = await timed(() =>
      call('/v1/ingest/json', { tickets: [ticket('H-2', 'Login', 'Cannot log in')] }),
    );
    t.is(scored.status, 503);
    t.regex(
      ((await scored.json()) as { error: string }).error,
      // Comments and ticket text are scored at once: whichever call gives up first is named.
      /the ML service is unavailable: \/v1\/(sentiment|embeddings) failed 2 times/,
    );
    t.true(scoreMs < 10_000, `JSON ingest answered after ${scoreMs} ms`);

    // Down (connections refused), then back: a call with a longer policy waits for it.
    await mlp.kill();
    const patient = client.with({
      timeoutMs: 5000,
      retry: { retries: 30, baseDelayMs: 100, maxDelayMs: 500 },
    });
    const waiting = patient.sentiment(['Thank you, wonderful support!']);
    await new Promise((r) => setTimeout(r, 2000));
    await mlp.restart();
    t.is((await waiting)[0]!.label, 'positive');
    t.true(
      retries.length > 2 && retries.slice(2).every((n) => n === 'TypeError'),
      'refused connections were retried',
    );
  } catch (e) {
    t.log(mlp.output.join('').slice(-3000));
    throw e;
  }
});

test('a client stopped by a second signal gives up at once when either its own or that one aborts', async (t) => {
  // Nothing listens here: every try is refused and would be retried for 10 × 2 s.
  const unreachable = createServer();
  await new Promise<void>((resolve) => unreachable.listen(0, '127.0.0.1', resolve));
  const { port } = unreachable.address() as AddressInfo;
  await new Promise((resolve) => unreachable.close(resolve));
  const patient = { retry: { retries: 10, baseDelayMs: 2000, maxDelayMs: 2000 } };
  for (const which of ['own', 'second'] as const) {
    const own = new AbortController();
    const second = new AbortController();
    const client = new MlClient(`http://127.0.0.1:${port}`, 64, { ...patient, signal: own.signal }).stoppedBy(
      second.signal,
    );
    const started = Date.now();
    setTimeout(() => (which === 'own' ? own : second).abort(), 300);
    const err = await t.throwsAsync(client.embeddings(['hello']));
    t.regex(err?.message ?? '', /the caller stopped waiting/, which);
    t.true(Date.now() - started < 1500, `${which}: gave up after ${Date.now() - started} ms`);
  }
});
