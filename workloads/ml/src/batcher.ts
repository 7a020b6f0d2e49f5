// Dynamic micro-batching: texts from concurrent requests are gathered for up to `windowMs` (or until
// `maxBatch` texts wait) and run through the model in one call; each caller gets its own results back,
// in order. At most `concurrency` model calls run at a time (one per model worker): while they run, the
// next batch fills up, so under load batches grow by themselves. A request larger than maxBatch simply
// spans several batches.

export interface BatcherOptions {
  maxBatch: number;
  windowMs: number;
  /** Model calls in flight at once (default 1). */
  concurrency?: number;
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  items: I[];
  results: O[];
  remaining: number;
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: { item: I; owner: Pending<I, O>; index: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(items: I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const owner: Pending<I, O> = {
        items,
        results: new Array(items.length),
        remaining: items.length,
        resolve,
        reject,
      };
      items.forEach((item, index) => this.queue.push({ item, owner, index }));
      if (!this.free()) return;
      if (this.queue.length >= this.options.maxBatch) this.next();
      else this.timer ??= setTimeout(() => this.next(), this.options.windowMs);
    });
  }

  /** Resolves once every submitted item has been run. */
  async drain(): Promise<void> {
    this.next();
    if (!this.running) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private free(): boolean {
    return this.running < (this.options.concurrency ?? 1);
  }

  /** Starts model calls on what waits, while calls may start. */
  private next(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.queue.length && !this.running) for (const resolve of this.idle.splice(0)) resolve();
    while (this.free() && this.queue.length) {
      // With several workers, what waits is shared out between them rather than queued behind one.
      const share = Math.ceil(this.queue.length / (this.options.concurrency ?? 1));
      const batch = this.queue.splice(0, Math.min(this.options.maxBatch, share));
      this.running++;
      void this.execute(batch).finally(() => {
        this.running--;
        // What arrived meanwhile has waited long enough: run it now.
        this.next();
      });
    }
  }

  private async execute(batch: typeof this.queue): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const out = await this.run(batch.map((b) => b.item));
      batch.forEach(({ owner, index }, i) => {
        owner.results[index] = out[i]!;
        if (--owner.remaining === 0) owner.resolve(owner.results);
      });
    } catch (err) {
      for (const { owner } of batch) owner.reject(err);
    }
  }
}
