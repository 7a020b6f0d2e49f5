// What a failed data-service call tells the people who read a SentimentPlatform's status and events:
// which service, and what kind of failure, in words. The driver's own text (host names and ports, role,
// database and index names, server messages) stays in the operator's log, under an error id that the
// status names, so a platform team can find it. The id is a digest of the full text: the same failure,
// retried with backoff, keeps its message, so the status is not rewritten and the event is told once.
import { createHash } from 'node:crypto';
import type { DataService } from './admin-credentials.js';

/**
 * An error whose message this code wrote for the platform team (what to fix, which setting or secret),
 * holding nothing of a service's own text: status shows it as it is.
 */
export class ExplainedError extends Error {}

/**
 * An AWS API's refusal (IAM, ElastiCache) as an error for status: what was being done, and the service's error
 * name and message, which name the resource and the reason but hold no credentials.
 */
export function awsRefusal(service: string, what: string, err: unknown): Error {
  if (err instanceof ExplainedError) return err;
  const e = err as Error;
  return new ExplainedError(`${service} refused to ${what}: ${e.name}: ${e.message}`);
}

/** Runs one AWS call; a refusal becomes awsRefusal's error. */
export async function awsCall<T>(service: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw awsRefusal(service, what, err);
  }
}

/** A data-service call failed; `message` is fit for status, `cause` holds the driver's error. */
export class DataServiceError extends Error {
  readonly errorId: string;

  constructor(
    readonly service: DataService,
    cause: unknown,
    /** What was being done, in the code's words (e.g. that fresh credentials were refused too). */
    context?: string,
  ) {
    const detail = fullText(cause);
    const errorId = createHash('sha256').update(`${service}\n${detail}`).digest('hex').slice(0, 12);
    const what = context ? `${context}: ` : '';
    super(`${service}: ${what}${kindOf(cause)} (error ${errorId}; the operator's log has the details)`, {
      cause,
    });
    this.errorId = errorId;
  }

  /** The driver's text, for the log only. */
  get detail(): string {
    return fullText(this.cause);
  }
}

function fullText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e && parts.length < 5;) {
    parts.push(String(e.message ?? e));
    e = e.cause as typeof e;
  }
  return parts.join(': ');
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host name does not resolve',
  EAI_AGAIN: 'host name does not resolve',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

const TLS = /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_|ERR_SSL_)/;

function byPostgresCode(code: string): string {
  if (code.startsWith('28')) return 'authentication failed';
  if (code === '42501') return 'permission denied';
  if (code === '53300') return 'too many connections';
  if (code.startsWith('08')) return 'connection failure';
  if (code.startsWith('57P')) return 'the server is shutting down or starting';
  return 'database error';
}

const REDIS: Record<string, string> = {
  WRONGPASS: 'authentication failed',
  NOAUTH: 'authentication failed',
  NOPERM: 'permission denied',
  LOADING: 'the server is loading its data',
  READONLY: 'the server is a read-only replica',
};

/** A short account of the failure that names no host, user, database or server message. */
export function kindOf(err: unknown): string {
  const e = (err ?? {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    meta?: { statusCode?: number };
    $metadata?: { httpStatusCode?: number };
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && NETWORK[code]) return `${NETWORK[code]} (${code})`;
  if (code && TLS.test(code)) return `TLS: the server's certificate is not trusted (${code})`;
  // PostgreSQL's SQLSTATE: five characters, digits and capitals.
  if (code && /^[0-9A-Z]{5}$/.test(code)) return `${byPostgresCode(code)} (SQLSTATE ${code})`;
  const reply = typeof e.message === 'string' ? /^([A-Z]{3,})\b/.exec(e.message)?.[1] : undefined;
  if (e.name === 'ReplyError' && reply) return `${REDIS[reply] ?? 'command refused'} (${reply})`;
  const status = e.meta?.statusCode;
  if (typeof status === 'number')
    return status === 401
      ? 'authentication failed (HTTP 401)'
      : status === 403
        ? 'permission denied (HTTP 403)'
        : `HTTP ${status}`;
  // AWS SDK errors: the name is the service's error code (AccessDeniedException, UserNotFoundFault …).
  if (e.$metadata && typeof e.name === 'string')
    return `${e.name} (HTTP ${e.$metadata.httpStatusCode ?? '?'})`;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  // ioredis gives up on an unreachable server without a code.
  if (typeof e.message === 'string' && /max retries per request|Connection is closed/i.test(e.message))
    return 'connection failure';
  return 'unexpected error';
}

/** What the operator logs of a failure: the public message, and for a data service its id and full text. */
export function failureLogFields(err: unknown): Record<string, string> {
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof DataServiceError
    ? { err: message, errorId: err.errorId, detail: err.detail }
    : { err: message };
}
