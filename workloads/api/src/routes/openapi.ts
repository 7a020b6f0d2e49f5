// The API description, open like the probes so clients and tools can fetch it before logging in.
import Router from '@koa/router';
import type { AppDeps } from '../app/deps.js';
import { openApiDocument } from '../openapi.js';

export function openapiRoutes(deps: AppDeps): Router {
  const document = openApiDocument(deps.config.SENTIMENT_PLATFORM);
  const r = new Router();
  r.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return r;
}
