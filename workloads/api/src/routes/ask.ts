// PLACEHOLDER (replaced by the ask work).
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';

export function askRoutes(_deps: AppDeps): Router {
  return new Router({ prefix: '/v1' });
}
