// Probes and metrics, outside /v1 and without auth (the kubelet and Prometheus call them).
import Router from '@koa/router';
import { HEALTH_PATHS, METRICS_PATH } from '@sentiment/crds';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';

export const liveResponse = z.object({ status: z.literal('ok') });
export const readyResponse = z.object({
  postgres: z.boolean(),
  queue: z.boolean(),
  search: z.boolean(),
  adapters: z.object({ queue: z.string(), search: z.string(), llm: z.string() }),
});

export function healthRoutes(deps: AppDeps): Router {
  const r = new Router();
  r.get(HEALTH_PATHS.live, (ctx) => {
    ctx.body = { status: 'ok' } satisfies z.infer<typeof liveResponse>;
  });
  // Ready only when every dependency this process uses answers; the ML service is checked by the
  // worker path that needs it, not here, so a slow model load does not take the API out of rotation.
  r.get(HEALTH_PATHS.ready, async (ctx) => {
    const probe = async (f: () => Promise<unknown>) => {
      try {
        return (await f()) !== false;
      } catch {
        return false;
      }
    };
    const checks = {
      postgres: await probe(() => deps.db.query('SELECT 1')),
      queue: await probe(() => deps.queue.ready()),
      search: await probe(() => deps.search.ready()),
    };
    ctx.status = Object.values(checks).every(Boolean) ? 200 : 503;
    ctx.body = {
      ...checks,
      adapters: { queue: deps.queue.name, search: deps.search.name, llm: deps.llm?.provider ?? 'none' },
    } satisfies z.infer<typeof readyResponse>;
  });
  r.get(METRICS_PATH, async (ctx) => {
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.registry.metrics();
  });
  return r;
}
