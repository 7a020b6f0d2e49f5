// The HTTP surface as a load balancer and a browser meet it: security headers on every response, idle
// keep-alive connections that outlive the ALB's, and a local-mode server that only its own machine reaches.
import test from 'ava';
import { KEEP_ALIVE_MS, createApiServer } from '../src/server.js';
import { testConfig } from './helpers.js';

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
