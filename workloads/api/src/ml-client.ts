// The ML service is called with whole batches (the old app's one-call-per-text was its bottleneck).
// Every request has a deadline, so a hung ML service cannot hang a job, a search or a question; a request
// that failed in passing (connection refused or reset while a pod restarts, 5xx, 429, no answer in time)
// is retried with exponential backoff and jitter: scoring and embedding are pure, safe to repeat.
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from './http/errors.js';

export interface Scored {
  label: 'negative' | 'neutral' | 'positive';
  probabilities: { negative: number; neutral: number; positive: number };
  score: number;
}

// The ML service refuses texts above its byte limit (32 KiB by default); a huge cell is scored on
// its head, which carries the gist, rather than failing the whole batch.
const MAX_TEXT_CHARS = 8000;
// A request carries at most this much text, so its work, and with it its deadline, stays small: one core
// takes about 80 ms per KiB of long text (40 s for 64 texts of 8000 characters).
const MAX_REQUEST_BYTES = 256 * 1024;
// Added to a request's deadline per KiB it carries: three times the one-core rate above, for an ML pod
// on a fraction of a core or busy with other requests.
const TIMEOUT_MS_PER_KIB = 250;

export interface RetryPolicy {
  /** Tries after the first. */
  retries: number;
  /** Nominal wait before the first retry; it doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

// Each wait is a random share of its nominal value, between this and 1, so that clients which failed
// together do not come back together.
const JITTER_LOW = 0.5;

/** The wait before retry `n` (0 for the first); `random` in [0, 1). */
export function backoffDelay(p: RetryPolicy, n: number, random = Math.random()): number {
  const nominal = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** n);
  return nominal * (JITTER_LOW + (1 - JITTER_LOW) * random);
}

/**
 * The least time a call keeps retrying a service that refuses at once (a stopped pod): its waits at
 * their lowest jitter. A hung service adds each try's deadline on top.
 */
export function minRetryWindowMs(p: RetryPolicy): number {
  let total = 0;
  for (let n = 0; n < p.retries; n++) total += backoffDelay(p, n, 0);
  return total;
}

/** The ML service did not answer, after every retry: 503 where it reaches an HTTP response. */
export class MlUnavailableError extends HttpError {
  constructor(message: string, cause: unknown) {
    super(503, message);
    this.cause = cause;
  }
}

/** A non-2xx answer; retried when the status says the service may recover (5xx, 429, 408). */
class MlStatusError extends Error {
  constructor(
    path: string,
    readonly status: number,
    body: string,
  ) {
    super(`ML ${path} answered ${status}: ${body}`);
  }
}

export interface MlClientOptions {
  /** A request's deadline: this plus 250 ms per KiB of text it carries. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Aborts requests and waits alike: the caller is stopping (a worker shutting down). */
  signal?: AbortSignal;
  /** Told of each failed try that will be retried (for the caller's log). */
  onRetry?: (retry: { path: string; attempt: number; delayMs: number; err: Error }) => void;
}

/** Requests one call keeps open at once. */
const IN_FLIGHT = 2;

// Interactive callers (search, ask) fall back without embeddings when the service is unavailable, so they
// wait little: one quick retry for a connection refused mid-restart.
const DEFAULTS = { timeoutMs: 5000, retry: { retries: 1, baseDelayMs: 250, maxDelayMs: 250 } };

function transient(err: unknown): boolean {
  if (err instanceof MlStatusError) return err.status >= 500 || err.status === 429 || err.status === 408;
  // fetch's network failures (refused, reset, body cut off) are TypeErrors; a deadline is a TimeoutError.
  return err instanceof TypeError || (err instanceof Error && err.name === 'TimeoutError');
}

// For the error users see (a 503, a job's reason): the ML service's own body stays in `cause`, for logs.
function describe(err: Error, deadlineMs: number): string {
  if (err.name === 'TimeoutError') return `no answer within ${deadlineMs} ms`;
  if (err instanceof MlStatusError) return `answered ${err.status}`;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message} (${cause.code ?? cause.message})` : err.message;
}

export class MlClient {
  private readonly options: MlClientOptions & typeof DEFAULTS;

  constructor(
    private readonly baseUrl: string,
    readonly batchSize = 64,
    options: MlClientOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The same service with other deadlines, retries or signal (an ingest job's). */
  with(options: MlClientOptions): MlClient {
    return new MlClient(this.baseUrl, this.batchSize, { ...this.options, ...options });
  }

  /** The same client, also stopped by `signal` (besides any signal it already has). */
  stoppedBy(signal: AbortSignal): MlClient {
    const own = this.options.signal;
    return this.with({ signal: own ? AbortSignal.any([own, signal]) : signal });
  }

  /** Requests of at most batchSize texts and MAX_REQUEST_BYTES (a longer text goes alone). */
  private *requests(texts: string[]): Generator<string[]> {
    let batch: string[] = [];
    let bytes = 0;
    for (const t of texts) {
      const text = t.slice(0, MAX_TEXT_CHARS);
      const n = Buffer.byteLength(text);
      if (batch.length && (batch.length >= this.batchSize || bytes + n > MAX_REQUEST_BYTES)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(text);
      bytes += n;
    }
    if (batch.length) yield batch;
  }

  private async call(path: string, texts: string[]): Promise<unknown> {
    const { timeoutMs, retry, signal, onRetry } = this.options;
    const body = JSON.stringify({ texts });
    const deadlineMs = timeoutMs + Math.ceil(Buffer.byteLength(body) / 1024) * TIMEOUT_MS_PER_KIB;
    for (let attempt = 1; ; attempt++) {
      try {
        signal?.throwIfAborted();
        const deadline = AbortSignal.timeout(deadlineMs);
        const res = await fetch(new URL(path, this.baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        });
        if (!res.ok) throw new MlStatusError(path, res.status, (await res.text()).slice(0, 200));
        return await res.json();
      } catch (caught) {
        const err = caught instanceof Error ? caught : new Error(String(caught));
        if (signal?.aborted) throw new Error(`ML ${path}: the caller stopped waiting`, { cause: err });
        if (!transient(err)) throw err;
        if (attempt > retry.retries)
          throw new MlUnavailableError(
            `the ML service is unavailable: ${path} failed ${attempt} times, last: ${describe(err, deadlineMs)}`,
            err,
          );
        const delayMs = Math.round(backoffDelay(retry, attempt - 1));
        onRetry?.({ path, attempt, delayMs, err });
        // Rejects at once when the signal aborts; the check above then reports the stop.
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  // Requests go IN_FLIGHT at a time: while the service runs one batch, the next waits in its queue
  // instead of the model idling through a round trip (the service batches what has arrived together).
  private async post<T>(path: string, texts: string[], pick: (body: unknown) => T[]): Promise<T[]> {
    const batches = [...this.requests(texts)];
    const out: T[][] = new Array(batches.length);
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (!failed && next < batches.length) {
        const i = next++;
        try {
          out[i] = pick(await this.call(path, batches[i]!));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, lane));
    return out.flat();
  }

  sentiment(texts: string[]): Promise<Scored[]> {
    return this.post('/v1/sentiment', texts, (b) => (b as { results: Scored[] }).results);
  }

  embeddings(texts: string[]): Promise<number[][]> {
    return this.post('/v1/embeddings', texts, (b) => (b as { embeddings: number[][] }).embeddings);
  }
}
