// HTTP errors thrown by route handlers; the error middleware in server.ts turns them into JSON bodies.
import type { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Typed `never`, unlike ctx.throw, so the compiler narrows after a failed check. */
export function fail(status: number, message: string): never {
  throw new HttpError(status, message);
}

/** Parses `input` with `schema` or answers 400 listing every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success)
    fail(400, r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  return r.data;
}
