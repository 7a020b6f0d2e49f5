// The ingest worker serves no API, but Prometheus scrapes it like the API and ML pods: /metrics (its job
// and row counters, from the registry consumeJobs registers in) and /healthz, on the platform's HTTP port.
import type { Server } from 'node:http';
import { HEALTH_PATHS, METRICS_PATH } from '@sentiment/crds';
import Koa from 'koa';
import type { AppDeps } from './deps.js';

export async function serveWorkerMetrics(
  deps: Pick<AppDeps, 'registry'>,
  port: number,
  host?: string,
): Promise<Server> {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method !== 'GET') {
      ctx.status = 405;
    } else if (ctx.path === METRICS_PATH) {
      ctx.type = deps.registry.contentType;
      ctx.body = await deps.registry.metrics();
    } else if (ctx.path === HEALTH_PATHS.live) {
      ctx.body = 'ok';
    } else {
      ctx.status = 404;
    }
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server)).once('error', reject);
  });
}
