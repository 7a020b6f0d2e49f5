// The worker pod's metrics endpoint, as Prometheus (through the tenant's ServiceMonitor) scrapes it.
import test from 'ava';
import { startWorker } from '../src/app/worker.js';
import { serveWorkerMetrics } from '../src/app/worker-http.js';
import { testConfig } from './helpers.js';

test('the worker serves its job metrics on /metrics and /healthz; nothing else', async (t) => {
  const worker = await startWorker(testConfig());
  t.teardown(() => worker.close());
  const server = await serveWorkerMetrics(worker.deps, 0, '127.0.0.1');
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;

  const metrics = await fetch(`${base}/metrics`);
  t.is(metrics.status, 200);
  t.regex(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await metrics.text();
  for (const name of [
    'sentiment_ingest_jobs_total',
    'sentiment_ingest_rows_total',
    'sentiment_ingest_job_duration_seconds',
  ])
    t.regex(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  t.is((await fetch(`${base}/healthz`)).status, 200);
  t.is((await fetch(`${base}/v1/tickets`)).status, 404);
  t.is((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
});
