// PLACEHOLDER (replaced by the dashboard work).
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';

export function dashboardRoutes(_deps: AppDeps): Router {
  return new Router({ prefix: '/v1' });
}
