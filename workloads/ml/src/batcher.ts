// Dynamic micro-batching: texts from concurrent requests are gathered for up to `windowMs` (or until
// `maxBatch` texts wait) and run through the model in one call; each caller gets its own results back,
// in order. One model call runs at a time: while it runs, the next batch fills up, so under load batches
// grow by themselves. A request larger than maxBatch simply spans several batches.

export interface BatcherOptions {
  maxBatch: number;
  windowMs: number;
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
  private running = false;
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
      if (this.running) return;
      if (this.queue.length >= this.options.maxBatch) this.next();
      else this.timer ??= setTimeout(() => this.next(), this.options.windowMs);
    });
  }

  /** Resolves once every submitted item has been run. */
  async drain(): Promise<void> {
    if (!this.running && this.queue.length) this.next();
    if (!this.running) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private next(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.running = true;
    void this.execute(batch).finally(() => {
      this.running = false;
      // What arrived meanwhile has waited long enough: run it now.
      this.next();
    });
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
