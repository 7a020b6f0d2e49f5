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
}

export async function kubeRequest<T>(kc: KubeConfig, req: RawRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(req.path, cluster.server);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const options: RequestOptions = {
    method: req.method,
    headers: {
      Accept: 'application/json',
      ...(payload !== undefined && {
        'Content-Type': req.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      }),
    },
  };
  await kc.applyToHTTPSOptions(options);
  return new Promise<T>((resolve, reject) => {
    const r = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300)
          return reject(new KubeApiError(status, text, req.method, url.pathname));
        resolve((text ? JSON.parse(text) : undefined) as T);
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}
