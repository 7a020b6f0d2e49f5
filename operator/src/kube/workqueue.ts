// A rate-limited work queue with client-go's semantics, which Pepr and the UDS operator lack:
// - a key is queued at most once (events for the same object collapse into one reconcile);
// - a key is never processed by two workers at once; if it is added while processing, it is marked
//   dirty and queued again when the running reconcile ends (the newest state is never missed);
// - a failing key is retried after a per-key exponential backoff with a cap, reset on success;
// - at most `concurrency` keys are processed at the same time.

export interface WorkQueueOptions {
  concurrency: number;
  /** First retry delay of a failing key; doubles on each consecutive failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called whenever the number of waiting keys changes (for the queue-depth gauge). */
  onDepth?: (depth: number) => void;
}

/** What a handler may ask for besides success: to be looked at again after a delay. */
export interface HandlerResult {
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<HandlerResult | void>;
export type ErrorListener = (key: string, error: unknown, retryInMs: number) => void;

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
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
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.options.onDepth?.(this.waiting.length);
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
    this.options.onDepth?.(0);
    await this.whenIdle();
  }

  private pump(): void {
    while (this.processing.size < this.options.concurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.options.onDepth?.(this.waiting.length);
      void this.process(key);
    }
    if (this.waiting.length === 0 && this.processing.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = this.backoff(n);
      this.onError(key, error, delay);
      this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
