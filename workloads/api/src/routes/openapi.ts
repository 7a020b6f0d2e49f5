// PLACEHOLDER (replaced by the OpenAPI work).
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';

export function openapiRoutes(_deps: AppDeps): Router {
  return new Router();
}
