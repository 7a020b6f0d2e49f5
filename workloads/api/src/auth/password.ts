// Passwords are stored as scrypt hashes (node:crypto, no native add-on), format
// `scrypt$N$r$p$salt$hash`: each hash names its cost, so old hashes keep verifying after the cost is
// raised, and a login with an old one stores it again at the current cost (needsRehash).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// OWASP's scrypt advice lists equally strong settings that trade memory for passes: N=2^17,p=1 takes
// 128 MiB per hash; N=2^15,p=3 takes 32 MiB, so two at once fit the smallest API pod (256 MiB,
// ultra-low-cost) beside Node itself, at about 150 ms of one core each.
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEYLEN = 32;
// Stored costs are ours, but a corrupt row must not ask for more than 256 MiB.
const MAX_N = 2 ** 17;
const MAX_R = 16;
const MAX_P = 16;

/**
 * Hashes run on libuv's threadpool (4 threads, shared with file and DNS work) and each holds its memory
 * while it runs: at most HASH_CONCURRENCY at once, HASH_QUEUE waiting, and beyond that HashBusyError,
 * so a login flood costs bounded memory and leaves the pool's other threads free.
 */
export const HASH_CONCURRENCY = 2;
export const HASH_QUEUE = 32;

export class HashBusyError extends Error {
  constructor() {
    super('too many password checks at once; retry shortly');
  }
}

let running = 0;
const waiting: (() => void)[] = [];

async function gated<T>(work: () => Promise<T>): Promise<T> {
  if (running >= HASH_CONCURRENCY) {
    if (waiting.length >= HASH_QUEUE) throw new HashBusyError();
    // The finishing hash hands its slot over directly (running stays counted), so none can jump the queue.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  // Node refuses (maxmem, 32 MiB by default) what needs more than 128·N·r bytes; leave room for the rest.
  const maxmem = 128 * options.N! * options.r! * 2;
  return gated(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCb(password, salt, KEYLEN, { ...options, maxmem }, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
  // N must be a power of two above 1.
  if (!ok(N, MAX_N) || N < 2 || (N & (N - 1)) !== 0 || !ok(r, MAX_R) || !ok(p, MAX_P)) return null;
  return { N, r, p, salt: Buffer.from(parts[4]!, 'base64'), hash: Buffer.from(parts[5]!, 'base64') };
}

/** Throws HashBusyError when too many checks are already running and queued. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const key = await scrypt(password, h.salt, { N: h.N, r: h.r, p: h.p });
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** Whether `stored` was hashed at another cost than today's (store it again after a successful login). */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.N !== COST.N || h.r !== COST.r || h.p !== COST.p;
}
