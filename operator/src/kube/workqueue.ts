// A rate-limited work queue with client-go's semantics, which Pepr and the UDS operator lack:
// - a key is queued at most once (events for the same object collapse into one reconcile);
// - a key is never processed by two workers at once; if it is added while processing, it is marked
//   dirty and queued again when the running reconcile ends (the newest state is never missed);
// - a failing key is retried after a per-key exponential backoff with a cap, reset on success; a terminal
//   result (an error no retry can heal) is not retried;
// - at most `concurrency` keys are processed at the same time.

export interface WorkQueueOptions {
  concurrency: number;
  /** First retry delay of a failing key; doubles on each consecutive failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called whenever the number of waiting keys changes (for the queue-depth gauge). */
  onDepth?: (depth: number) => void;
  observer?: WorkQueueObserver;
}

/** Told what the queue does, for client-go's work-queue metrics (the queue itself knows nothing of Prometheus). */
export interface WorkQueueObserver {
  /** A key was added; an add that collapses into one still waiting or marked dirty is not one. */
  onAdd?(key: string): void;
  /** A key's processing started, `queuedMs` after the add it serves. */
  onStart?(key: string, queuedMs: number): void;
  /** A key's processing ended, after `workMs`, whatever the handler's outcome. */
  onDone?(key: string, workMs: number): void;
  /** A key failed and will be retried after a backoff. */
  onRetry?(key: string): void;
}

/**
 * What a handler may answer besides success: to be looked at again after a delay, or a terminal error,
 * which no retry can heal (only a change of the object, whose event adds the key again): not retried.
 */
export type HandlerResult =
  | { requeueAfterMs: number; terminal?: never }
  | { terminal: { reason: string; message: string }; requeueAfterMs?: never };

export type Handler = (key: string) => Promise<HandlerResult | void>;
export type ErrorListener = (key: string, error: unknown, retryInMs: number) => void;

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  /** Keys being processed, with when they started (performance.now()). */
  private readonly processing = new Map<string, number>();
  /** When each waiting or dirty key was added: the start of its queue duration. */
  private readonly addedAt = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly handler: Handler,
    private readonly options: WorkQueueOptions,
    private readonly onError: ErrorListener = () => undefined,
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.queued.has(key) || this.dirty.has(key)) return;
    this.addedAt.set(key, performance.now());
    this.options.observer?.onAdd?.(key);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.enqueue(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Delay before the next retry of a key that has failed `failures` times in a row. */
  backoff(failures: number): number {
    const exp = Math.min(failures - 1, 30);
    return Math.min(this.options.baseDelayMs * 2 ** exp, this.options.maxDelayMs);
  }

  /** Time spent so far by the keys being processed, in all and by the longest (client-go's stuck-worker gauges). */
  unfinishedWork(): { totalMs: number; longestMs: number } {
    const now = performance.now();
    let totalMs = 0;
    let longestMs = 0;
    for (const started of this.processing.values()) {
      totalMs += now - started;
      longestMs = Math.max(longestMs, now - started);
    }
    return { totalMs, longestMs };
  }

  /** Resolves when nothing is waiting or processing (delayed adds do not count). */
  whenIdle(): Promise<void> {
    if (this.waiting.length === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking keys, drops delayed ones, and waits for running reconciles to finish. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.waiting.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.addedAt.clear();
    this.options.onDepth?.(0);
    await this.whenIdle();
  }

  private enqueue(key: string): void {
    this.queued.add(key);
    this.waiting.push(key);
    this.options.onDepth?.(this.waiting.length);
  }

  private pump(): void {
    while (this.processing.size < this.options.concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.queued.delete(key);
      const now = performance.now();
      this.processing.set(key, now);
      this.options.onDepth?.(this.waiting.length);
      this.options.observer?.onStart?.(key, now - (this.addedAt.get(key) ?? now));
      this.addedAt.delete(key);
      void this.process(key);
    }
    if (this.waiting.length === 0 && this.processing.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      // A terminal result, too, ends the run of failures: nothing is left to retry.
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = this.backoff(n);
      this.onError(key, error, delay);
      this.options.observer?.onRetry?.(key);
      this.addAfter(key, delay);
    } finally {
      this.options.observer?.onDone?.(key, performance.now() - this.processing.get(key)!);
      this.processing.delete(key);
      // Queued again without counting an add: the add that dirtied it was counted, and its time runs on.
      if (this.dirty.delete(key)) this.enqueue(key);
      this.pump();
    }
  }
}
