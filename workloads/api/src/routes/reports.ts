// PLACEHOLDER (replaced by the reports work).
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';

export function reportsRoutes(_deps: AppDeps): Router {
  return new Router({ prefix: '/v1' });
}
