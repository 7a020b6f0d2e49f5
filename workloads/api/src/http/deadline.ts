// Every request has a deadline. Node's own `requestTimeout` is server-wide and must outlast the slowest
// upload (an hour), so it protects no other route: a client trickling a JSON body a byte a minute, or a
// handler stuck on a dependency, would hold a connection and its memory for that hour. Each route gets
// the time its work needs; past it the client gets a 503 and a connection still sending is closed.
import type { Middleware } from 'koa';
import { HttpError } from './errors.js';

/** Routes whose work is longer than a page's: the handler's own bound plus a margin. */
const LONGER: Record<string, number | null> = {
  // The body is the upload: Node's requestTimeout (server.ts) bounds it, and the job runs in the worker.
  'POST /v1/ingest/csv': null,
  // Up to 1000 tickets scored by the ML service inside the request.
  'POST /v1/ingest/json': 120_000,
  // Retrieval, then an LLM allowed DEFAULT_LLM_TIMEOUT_MS (and a retry inside the SDK).
  'POST /v1/ask': 90_000,
  // Chromium renders the PDF.
  'GET /v1/reports/summary.pdf': 60_000,
};

/** The deadline of a request in ms, or null for none; `defaultMs` for every route not listed above. */
export function deadlineOf(method: string, path: string, defaultMs: number): number | null {
  const longer = LONGER[`${method} ${path}`];
  return longer === undefined ? defaultMs : longer;
}

export function requestDeadline(defaultMs: number): Middleware {
  return async (ctx, next) => {
    const ms = deadlineOf(ctx.method, ctx.path, defaultMs);
    if (ms === null) return next();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A body still arriving would keep the socket busy after the answer: Node closes the connection
        // once a response saying `Connection: close` is sent.
        if (!ctx.req.complete) ctx.set('Connection', 'close');
        reject(new HttpError(503, `the request did not complete within ${ms / 1000} s`));
      }, ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
