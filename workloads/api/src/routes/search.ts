// PLACEHOLDER (replaced by the search work).
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';

export function searchRoutes(_deps: AppDeps): Router {
  return new Router({ prefix: '/v1' });
}
