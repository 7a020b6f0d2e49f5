import { setMaxListeners } from 'node:events';
import { PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '@sentiment/crds';
import type { OperatorMetrics } from './metrics.js';
import { kubeRequest, type RawRequest } from './raw.js';
import { PLATFORM_KIND, namespacedPath, objectPath } from './resources.js';

/** HTTP status of a client-node error, if it carries one. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/** Told of each request sent to the API server: its method and its rest_client_requests_total code. */
export type RequestListener = (method: string, code: string) => void;

/**
 * The code client-go counts a failed request under: the HTTP status (`code` on ours and client-node's
 * errors, `statusCode` on a watch's), or `<error>` when no response came.
 */
export function failureCode(err: unknown): string {
  const code = statusCode(err) ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? String(code) : '<error>';
}

/** Sends a request and reports it, answered (with the status `send` passes to kubeRequest's onStatus) or failed. */
export async function reportRequest<T>(
  listener: RequestListener | undefined,
  method: string,
  send: (onStatus: (code: number) => void) => Promise<T>,
): Promise<T> {
  let status = 200;
  try {
    const result = await send((code) => (status = code));
    listener?.(method, String(status));
    return result;
  } catch (err) {
    listener?.(method, failureCode(err));
    throw err;
  }
}

/** A write refused or aborted because this instance may no longer be the leader. */
export class WritesFencedError extends Error {
  constructor(reason: string) {
    super(`writes are fenced: ${reason}`);
    this.name = 'WritesFencedError';
  }
}

/** A write method of the API server. */
type WriteRequest = RawRequest & { method: Exclude<RawRequest['method'], 'GET'> };

/**
 * Every write the operator makes goes through here, so each one is counted (the steady-state test and
 * the benchmark read the count), uses our own field manager, and stops at once when fenced. Every
 * request, read or write, is counted in rest_client_requests_total, as client-go counts them.
 */
export class KubeClient {
  private readonly fenced = new AbortController();
  /** Writes are refused from this moment on (epoch ms): the leader's renew deadline, when elected. */
  private writableUntil = Infinity;
  /** The `host` label: the API server's host:port, as client-go's request URL has it. */
  private readonly host: string;

  constructor(
    private readonly kc: KubeConfig,
    private readonly metrics: OperatorMetrics,
    readonly fieldManager: string = FIELD_MANAGER,
  ) {
    // Every write in flight listens on the fence: a reconcile applies dozens at once, which is no leak.
    setMaxListeners(0, this.fenced.signal);
    const server = kc.getCurrentCluster()?.server;
    this.host = server ? new URL(server).host : '';
  }

  /** Counts one request to the API server: this client's own, and the lists and watches informers send. */
  readonly countRequest: RequestListener = (method, code) => {
    this.metrics.restClientRequests.inc({ code, method, host: this.host });
  };

  /**
   * From now on every write is refused, and those in flight are aborted: called when this instance may
   * no longer be the leader (another may already be writing) and when shutdown gives up waiting.
   */
  fence(reason: string): void {
    if (!this.fenced.signal.aborted) this.fenced.abort(new WritesFencedError(reason));
  }

  /**
   * Refuses writes from `at` on, and fences then: the leader steps down on a timer at its renew deadline,
   * but a stalled event loop runs that timer late, and a write must not slip out in between.
   */
  allowWritesUntil(at: number): void {
    this.writableUntil = at;
  }

  /** A read; never fenced (a standby reads too). */
  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return reportRequest(this.countRequest, 'GET', (onStatus) =>
      kubeRequest<T>(this.kc, { method: 'GET', path, onStatus, ...(signal && { signal }) }),
    );
  }

  /** A write: refused once fenced, counted, and aborted if fenced (or `req.signal` aborts) while in flight. */
  async write<T>(verb: string, kind: string, req: WriteRequest): Promise<T> {
    if (Date.now() >= this.writableUntil) this.fence('the leader lease was not renewed in time');
    this.fenced.signal.throwIfAborted();
    this.metrics.apiWrites.inc({ verb, kind });
    const signal = req.signal ? AbortSignal.any([req.signal, this.fenced.signal]) : this.fenced.signal;
    return reportRequest(this.countRequest, req.method, (onStatus) =>
      kubeRequest<T>(this.kc, { ...req, signal, onStatus }),
    );
  }

  /** Server-side apply, forcing ownership of the fields we declare (we are their only rightful owner). */
  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.write<T>('apply', obj.kind ?? 'unknown', {
      method: 'PATCH',
      path: pathOf(obj),
      query: { fieldManager: this.fieldManager, force: 'true' },
      // JSON is YAML: the apply content type takes it as it is.
      contentType: PatchStrategy.ServerSideApply,
      body: obj,
    });
  }

  /** Create only: unlike apply, an object that already exists is left as it is (409 AlreadyExists). */
  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.write<T>('create', obj.kind ?? 'unknown', {
      method: 'POST',
      path: namespacedPath(obj.apiVersion!, obj.kind!, obj.metadata!.namespace!),
      query: { fieldManager: this.fieldManager },
      body: obj,
    });
  }

  /** Deletes with background propagation; an object already gone is not an error. */
  async delete(obj: KubernetesObject): Promise<void> {
    try {
      await this.write('delete', obj.kind ?? 'unknown', {
        method: 'DELETE',
        path: pathOf(obj),
        body: { propagationPolicy: 'Background' },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Merge patch guarded by resourceVersion: fails with 409 if the object changed since it was read. */
  async patchMetadata(obj: KubernetesObject, metadata: Record<string, unknown>): Promise<KubernetesObject> {
    return this.write('patch', obj.kind ?? 'unknown', {
      method: 'PATCH',
      path: pathOf(obj),
      query: { fieldManager: this.fieldManager },
      contentType: PatchStrategy.MergePatch,
      body: { metadata: { resourceVersion: obj.metadata?.resourceVersion, ...metadata } },
    });
  }

  async patchPlatformStatus(namespace: string, name: string, status: unknown): Promise<void> {
    await this.write('patch', 'SentimentPlatform/status', {
      method: 'PATCH',
      path: `${objectPath(PLATFORM_KIND.apiVersion, PLATFORM_KIND.kind, namespace, name)}/status`,
      query: { fieldManager: this.fieldManager },
      contentType: PatchStrategy.MergePatch,
      body: { status },
    });
  }
}

function pathOf(obj: KubernetesObject): string {
  return objectPath(obj.apiVersion!, obj.kind!, obj.metadata!.namespace!, obj.metadata!.name!);
}
