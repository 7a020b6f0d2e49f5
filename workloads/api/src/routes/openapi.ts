// The API description, open like the probes so clients and tools can fetch it before logging in. It is
// rendered from the routes' schemas (src/openapi.ts), the same document as the checked-in openapi.json.
import Router from '@koa/router';
import { openApiDocument } from '../openapi.js';

export function openapiRoutes(): Router {
  const document = openApiDocument();
  const r = new Router();
  r.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return r;
}
