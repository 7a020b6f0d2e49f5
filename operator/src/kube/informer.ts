import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { failureCode, reportRequest, type RequestListener } from './client.js';
import { kubeRequest } from './raw.js';
import { collectionPath, type ResourceKind } from './resources.js';

export type InformerEvent = 'add' | 'update' | 'delete';

/** Read access to cached objects: what the reconciler needs from informers. */
export interface ObjectStore<T extends KubernetesObject = KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
}

/** One store over several (the per-namespace informers of one kind). */
export function mergedStore<T extends KubernetesObject>(stores: readonly ObjectStore<T>[]): ObjectStore<T> {
  if (stores.length === 1) return stores[0]!;
  return {
    get: (name, namespace) => {
      for (const s of stores) {
        const hit = s.get(name, namespace);
        if (hit) return hit;
      }
      return undefined;
    },
    list: (namespace) => stores.flatMap((s) => s.list(namespace)),
  };
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  namespace?: string;
  labelSelector?: string;
  log: Logger;
  onEvent: (event: InformerEvent, obj: T) => void;
  onRestart?: () => void;
  /** Told of each list and watch request (for rest_client_requests_total). */
  onRequest?: RequestListener;
  /** First delay before restarting after an error; doubles up to maxRestartDelayMs, reset by any event. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/**
 * A list-watch cache of one kind. client-node's ListWatch relists by itself on 410 Gone but stops on any
 * other error (connection reset, 5xx, expired token); here it is restarted after a capped exponential
 * backoff, so a flapping API server never turns into a busy loop.
 */
export class Informer<T extends KubernetesObject = KubernetesObject> implements ObjectStore<T> {
  private readonly inner: ListWatch<T>;
  private restartDelay: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    readonly kind: ResourceKind,
    private readonly options: InformerOptions<T>,
  ) {
    const path = collectionPath(kind, options.namespace);
    // Raw JSON like the watch events, so listed and watched objects have the same shape (see raw.ts).
    const list = async () => {
      const result = await reportRequest(options.onRequest, 'GET', (onStatus) =>
        kubeRequest<KubernetesListObject<T>>(kc, {
          method: 'GET',
          path,
          query: { labelSelector: options.labelSelector },
          onStatus,
        }),
      );
      // List items carry no apiVersion/kind; watch events do. Fill them in so both look alike.
      for (const item of result.items)
        Object.assign(stripManagedFields(item), { apiVersion: kind.apiVersion, kind: kind.kind });
      return result;
    };
    // What client-node's makeInformer builds, with a watch of our own that reports its requests.
    const watch = options.onRequest ? new ReportingWatch(kc, options.onRequest) : new Watch(kc);
    this.inner = new ListWatch<T>(path, watch, list, false, options.labelSelector);
    this.restartDelay = options.restartDelayMs ?? 500;
    const forward = (event: InformerEvent) => (obj: T) => {
      this.restartDelay = options.restartDelayMs ?? 500;
      // The callback gets the very object the cache keeps, so this strips it there too.
      options.onEvent(event, stripManagedFields(obj));
    };
    this.inner.on('add', forward('add'));
    this.inner.on('update', forward('update'));
    this.inner.on('delete', forward('delete'));
    this.inner.on('error', (err: unknown) => this.scheduleRestart(err));
  }

  /** Lists, fills the cache, and opens the watch; resolves once the cache is synced. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.inner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.inner.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.inner.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.inner.list(namespace);
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, this.options.maxRestartDelayMs ?? 30_000);
    this.options.log.warn(
      { kind: this.kind.kind, namespace: this.options.namespace, err: describe(err), retryInMs: delay },
      'watch failed; restarting',
    );
    this.options.onRestart?.();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.inner.start().catch((e: unknown) => this.scheduleRestart(e));
    }, delay);
    this.restartTimer.unref();
  }
}

/**
 * A watch that reports its request once answered: client-node's Watch calls `done` with the error before
 * its promise resolves when the request fails, and streams events only after a 200.
 */
class ReportingWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly onRequest: RequestListener,
  ) {
    super(kc);
  }

  override async watch(
    ...[path, query, callback, done]: Parameters<Watch['watch']>
  ): Promise<AbortController> {
    let failure: { err: unknown } | undefined;
    let answered = false;
    const controller = await super.watch(path, query, callback, (err: unknown) => {
      if (!answered) failure = { err };
      done(err);
    });
    answered = true;
    this.onRequest('GET', failure ? failureCode(failure.err) : '200');
    return controller;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * managedFields are often the largest part of an object and the operator never reads them (server-side
 * apply tracks ownership on the server): dropping them from the cache roughly halves its memory, as
 * controller-runtime's TransformStripManagedFields does.
 */
function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}
