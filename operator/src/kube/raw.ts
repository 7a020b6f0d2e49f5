// Raw JSON requests to the API server with the kubeconfig's credentials. client-node's typed
// serializer reshapes objects by its generated models: it drops fields it does not know and, worse,
// renames NetworkPolicy `from` to `_from`, so an applied policy silently lost its sources and admitted
// everyone. Objects the operator applies and caches therefore travel as plain JSON.
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API error with the HTTP status in `code`, like client-node's ApiException (isNotFound works on both). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    method: string,
    path: string,
  ) {
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: keep the text
    }
    super(`${method} ${path}: ${code} ${message}`);
    this.name = 'KubeApiError';
  }
}

export interface RawRequest {
  method: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  /** Aborts the request, whatever stage it is in: a per-attempt timeout, or writes fenced at lost leadership. */
  signal?: AbortSignal;
  /** Told the HTTP status of the answer, whatever it is (the request metrics count by code). */
  onStatus?: (code: number) => void;
}

export async function kubeRequest<T>(kc: KubeConfig, req: RawRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(req.path, cluster.server);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const options: RequestOptions = {
    method: req.method,
    ...(req.signal && { signal: req.signal }),
    headers: {
      Accept: 'application/json',
      ...(payload !== undefined && {
        'Content-Type': req.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      }),
    },
  };
  await kc.applyToHTTPSOptions(options);
  req.signal?.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    // Aborted: the caller's reason (a timeout, fenced writes) says more than node's AbortError.
    const fail = (err: Error) => reject(req.signal?.aborted ? (req.signal.reason as Error) : err);
    const r = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        req.onStatus?.(status);
        if (status < 200 || status >= 300)
          return reject(new KubeApiError(status, text, req.method, url.pathname));
        resolve((text ? JSON.parse(text) : undefined) as T);
      });
      res.on('error', fail);
      // An abort after the headers may end the response without 'end' or 'error'.
      res.on('close', () => {
        if (!res.complete) fail(new Error(`${req.method} ${url.pathname}: connection closed`));
      });
    });
    r.on('error', fail);
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}
