// The HTTP surface as a load balancer and a browser meet it: security headers on every response, idle
// keep-alive connections that outlive the ALB's, a local-mode server that only its own machine reaches, and
// a deadline on every request that is not an upload.
import { request } from 'node:http';
import { connect } from 'node:net';
import test from 'ava';
import { deadlineOf } from '../src/http/deadline.js';
import { DEFAULT_LLM_TIMEOUT_MS } from '../src/llm/llm.js';
import { KEEP_ALIVE_MS, createApiServer } from '../src/server.js';
import { createTestDatabase, testConfig } from './helpers.js';

// A non-loopback address of this machine: the host end of the test node's link (test/env).
const OTHER_INTERFACE = '10.77.0.1';

test('every response: nosniff, HSTS, no Referer; keep-alive longer than the ALB idle timeout (60 s)', async (t) => {
  const api = await createApiServer(testConfig());
  t.teardown(() => api.close());
  const base = await api.listen(0);
  for (const path of ['/healthz', '/v1/tickets', '/no-such-path']) {
    const res = await fetch(base + path);
    t.is(res.headers.get('x-content-type-options'), 'nosniff', path);
    t.is(res.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', path);
    t.is(res.headers.get('referrer-policy'), 'no-referrer', path);
    t.is(res.headers.get('keep-alive'), `timeout=${KEEP_ALIVE_MS / 1000}`, path);
  }
  t.true(KEEP_ALIVE_MS > 60_000);
});

test('local mode listens on loopback only; HOST opens it to other interfaces', async (t) => {
  const local = await createApiServer(testConfig());
  t.teardown(() => local.close());
  const port = new URL(await local.listen(0)).port;
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  await t.throwsAsync(fetch(`http://${OTHER_INTERFACE}:${port}/healthz`), { message: /fetch failed/ });

  const open = await createApiServer(testConfig({ HOST: '0.0.0.0' }));
  t.teardown(() => open.close());
  const openPort = new URL(await open.listen(0)).port;
  t.is((await fetch(`http://${OTHER_INTERFACE}:${openPort}/healthz`)).status, 200);
});

/**
 * Sends the headers of a POST declaring `declared` body bytes, then only `sent` of them; resolves with what
 * the server answers and whether the server closed the connection (its FIN arrived) before we gave up.
 */
function trickle(base: string, path: string, declared: number, sent: string) {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${sent}`,
  );
  let answer = '';
  let closedByServer = false;
  socket.on('data', (d) => (answer += d.toString()));
  socket.on('end', () => (closedByServer = true));
  return new Promise<{ answer: string; closedByServer: boolean }>((resolve) => {
    socket.on('close', () => resolve({ answer, closedByServer }));
    // Without a deadline the server would wait for the body for an hour: give up well before, yet long
    // enough that a loaded CI machine is not mistaken for a server that keeps the connection.
    const giveUp = setTimeout(() => socket.destroy(), 30_000);
    socket.on('close', () => clearTimeout(giveUp));
  });
}

test('a request body trickling in gets a 503 at the route deadline and its connection closed', async (t) => {
  const api = await createApiServer(testConfig({ REQUEST_TIMEOUT_MS: '500' }));
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const { answer, closedByServer } = await trickle(base, '/v1/auth/login', 200, '{"email":');
  t.regex(answer, /^HTTP\/1.1 503 /);
  t.regex(answer, /did not complete within 0.5 s/);
  t.true(closedByServer, 'the server left the connection open after its answer');
});

test('routes with longer work keep longer deadlines; the CSV upload is bounded only by the upload timeout', async (t) => {
  t.is(deadlineOf('GET', '/v1/tickets', 30_000), 30_000);
  t.true(deadlineOf('POST', '/v1/ask', 30_000)! > DEFAULT_LLM_TIMEOUT_MS);
  t.is(deadlineOf('POST', '/v1/ingest/csv', 30_000), null);

  // An upload slower than the default deadline still lands.
  const api = await createApiServer(testConfig({ REQUEST_TIMEOUT_MS: '300' }));
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const token = await api.deps.tokens.issue('ana@example.com', 'analyst');
  const boundary = 'b0undary';
  const parts = [
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\n`,
    'Issue key,Summary\r\n',
    'SUP-1,slow but steady\r\n',
    `\r\n--${boundary}--\r\n`,
  ];
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/v1/ingest/csv`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(Buffer.byteLength(parts.join(''))),
      },
    });
    req.on('response', (res) => resolve(res.statusCode!));
    req.on('error', reject);
    void (async () => {
      for (const p of parts) {
        req.write(p);
        await new Promise((r) => setTimeout(r, 400));
      }
      req.end();
    })();
  });
  t.is(status, 202);
});

test('an internal failure answers a stable message and an id; the details stay in the log', async (t) => {
  const tdb = await createTestDatabase('errors');
  t.teardown(() => tdb.drop());
  // The test database's own pool (its generous connect timeout): the other tests of this file start PGlite,
  // whose WASM start holds the event loop long enough to fire the server pool's 10 s connect timer late.
  const api = await createApiServer(testConfig({ DATABASE_URL: tdb.url }), { db: tdb.db });
  t.teardown(() => api.close());
  const base = await api.listen(0);
  const token = await api.deps.tokens.issue('vic@example.com', 'viewer');
  const logged: Array<Record<string, unknown>> = [];
  const original = api.deps.log.error.bind(api.deps.log);
  api.deps.log.error = ((obj: Record<string, unknown>, msg?: string) => {
    logged.push(obj);
    original(obj, msg);
  }) as typeof api.deps.log.error;
  // A real Postgres error, whose text names the tenant's schema.
  await tdb.db.query('DROP TABLE tickets CASCADE');
  const res = await fetch(`${base}/v1/tickets`, { headers: { authorization: `Bearer ${token}` } });
  t.is(res.status, 500);
  const body = (await res.json()) as { error: string; errorId: string };
  t.is(body.error, 'internal error');
  t.regex(body.errorId, /^[0-9a-f-]{36}$/);
  const entry = logged.find((e) => e.errorId === body.errorId);
  t.regex(String((entry?.err as Error | undefined)?.message), /relation "tickets" does not exist/);
});
