// fetch: copies a seeded model from the bucket onto the pod's disk before the server starts. This is the
// whole of a replacement node's model load, so it is parallel twice over: files at once, and each large
// file in byte ranges at once, every range written at its offset.
import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  MODEL_CACHE_COMPLETE,
  MODEL_CACHE_GGUF_LINK,
  hubModel,
  modelCacheManifestKey,
  type ModelCacheManifest,
} from '@sentiment/crds';
import type { Logger } from 'pino';
import type { FetchConfig } from './config.js';
import { rate } from './log.js';
import { readManifest } from './s3.js';

/** One ranged GET: large enough that request overhead is small, small enough to spread a file over many. */
export const RANGE_SIZE = 32 * 1024 * 1024;
/** Ranged GETs in flight across all files (the network, not one TCP stream, is then the limit). */
export const CONCURRENCY = 16;
/** Polling the manifest while the seed runs: from 2 s, doubling, up to 30 s; a log line at most a minute. */
const WAIT_MIN_MS = 2_000;
const WAIT_MAX_MS = 30_000;
const WAIT_LOG_EVERY_MS = 60_000;
/** Chunks are gathered to this size before a write (one syscall per 64 KiB socket chunk is slow). */
const WRITE_BATCH = 4 * 1024 * 1024;

export interface FetchDeps {
  s3: S3Client;
  log: Logger;
  /** Aborted on SIGTERM: the GETs stop. */
  signal?: AbortSignal;
  rangeSize?: number;
  concurrency?: number;
}

export interface FetchResult {
  /** True when the directory held this revision already and nothing was copied. */
  alreadyOnDisk: boolean;
  manifest: ModelCacheManifest;
  bytes: number;
}

export interface ByteRange {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

/** `size` bytes cut into ranges of `rangeSize` (the last one shorter); none for an empty file. */
export function planRanges(size: number, rangeSize: number): ByteRange[] {
  if (!(rangeSize > 0)) throw new Error(`range size must be positive (got ${rangeSize})`);
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += rangeSize)
    ranges.push({ start, end: Math.min(start + rangeSize, size) });
  return ranges;
}

export async function runFetch(config: FetchConfig, deps: FetchDeps): Promise<FetchResult> {
  const { log } = deps;
  const manifest = await waitForManifest(config, deps);
  if (!sameModel(manifest, config))
    throw new Error(
      `s3://${config.bucket}/${modelCacheManifestKey(config.prefix)} is for ${manifest.model} (${manifest.runtime}), ` +
        `not ${config.model} (${config.runtime})`,
    );

  // An init container restarted in the same pod finds its emptyDir as it left it.
  const complete = join(config.dir, MODEL_CACHE_COMPLETE);
  const onDisk = await readFile(complete, 'utf8').catch(() => undefined);
  if (onDisk?.trim() === manifest.revision) {
    log.info({ dir: config.dir, revision: manifest.revision }, 'already on disk');
    return { alreadyOnDisk: true, manifest, bytes: 0 };
  }
  await rm(complete, { force: true });

  const started = performance.now();
  log.info({ revision: manifest.revision, files: manifest.files.length, dir: config.dir }, 'fetching');
  await copyFiles(config, deps, manifest);
  await linkGguf(config.dir, manifest);
  await writeFile(complete, `${manifest.revision}\n`);
  const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
  log.info(
    {
      revision: manifest.revision,
      files: manifest.files.length,
      ...rate(bytes, performance.now() - started),
    },
    'fetched',
  );
  return { alreadyOnDisk: false, manifest, bytes };
}

/** Same repository, runtime and quantisation: `org/m:q4_k_m` and `org/m:Q4_K_M` share a prefix and files. */
function sameModel(manifest: ModelCacheManifest, config: FetchConfig): boolean {
  const a = hubModel(manifest.model, manifest.runtime);
  const b = hubModel(config.model, config.runtime);
  return manifest.runtime === config.runtime && a.repo === b.repo && a.quant === b.quant;
}

/** The manifest, once the seed has written it; S3 errors other than its absence fail at once. */
async function waitForManifest(config: FetchConfig, deps: FetchDeps): Promise<ModelCacheManifest> {
  const { s3, log, signal } = deps;
  const where = `s3://${config.bucket}/${modelCacheManifestKey(config.prefix)}`;
  const started = Date.now();
  const deadline = started + config.waitSeconds * 1000;
  let delay = WAIT_MIN_MS;
  let lastLog = -Infinity;
  for (;;) {
    let manifest: ModelCacheManifest | undefined;
    try {
      manifest = await readManifest(s3, config.bucket, config.prefix, signal);
    } catch (err) {
      signal?.throwIfAborted();
      // An S3 error (AccessDenied, NoSuchBucket) is named as S3 gave it; a bad manifest says what itself.
      if (err instanceof Error && '$metadata' in err)
        throw new Error(`cannot read ${where}: ${err.name}: ${err.message}`);
      throw err;
    }
    if (manifest) return manifest;
    const now = Date.now();
    if (now >= deadline)
      throw new Error(
        `the model was not seeded within ${config.waitSeconds} s (no ${where}): the platform's seed Job copies ` +
          `it from the Hub into the bucket; see that Job's status and logs`,
      );
    if (now - lastLog >= WAIT_LOG_EVERY_MS) {
      log.info(
        { manifest: where, waitedSeconds: Math.round((now - started) / 1000) },
        "waiting for the model to be seeded: the platform's seed Job copies it from the Hub",
      );
      lastLog = now;
    }
    await sleep(Math.min(delay, deadline - now), undefined, { signal });
    delay = Math.min(delay * 2, WAIT_MAX_MS);
  }
}

interface Target {
  path: string;
  size: number;
  key: string;
  etag: string;
  file: string;
  handle: FileHandle;
}

/** Every manifest file into `<dir>/<path>.partial`, checked and renamed when all its bytes are there. */
async function copyFiles(config: FetchConfig, deps: FetchDeps, manifest: ModelCacheManifest): Promise<void> {
  const concurrency = deps.concurrency ?? CONCURRENCY;
  // The first failure stops the others rather than letting them copy on for nothing.
  const stop = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, stop.signal]) : stop.signal;
  const fail = () => stop.abort(new Error('another part of the copy failed'));

  // The ETag read here pins every ranged GET to one version of the object (IfMatch).
  const heads = await mapLimit(
    manifest.files,
    concurrency,
    async ({ path, size }) => {
      const key = `${config.prefix}${path}`;
      const head = await s3Call(path, () =>
        deps.s3.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }), { abortSignal: signal }),
      );
      if (head.ContentLength !== size)
        throw new Error(
          `${path}: the manifest says ${size} bytes, s3://${config.bucket}/${key} has ${head.ContentLength}`,
        );
      if (!head.ETag) throw new Error(`${path}: s3://${config.bucket}/${key} has no ETag`);
      return { path, size, key, etag: head.ETag };
    },
    fail,
  );

  const targets: Target[] = [];
  try {
    for (const head of heads) {
      const file = join(config.dir, head.path);
      await mkdir(dirname(file), { recursive: true });
      targets.push({ ...head, file, handle: await open(`${file}.partial`, 'w') });
    }
    const tasks = targets.flatMap((target) =>
      planRanges(target.size, deps.rangeSize ?? RANGE_SIZE).map((range) => ({ target, range })),
    );
    await mapLimit(
      tasks,
      concurrency,
      ({ target, range }) => copyRange(deps.s3, config.bucket, target, range, signal),
      fail,
    );
  } finally {
    await Promise.all(targets.map((t) => t.handle.close()));
  }
  for (const t of targets) {
    const { size } = await stat(`${t.file}.partial`);
    if (size !== t.size) throw new Error(`${t.path}: wrote ${size} bytes, the manifest says ${t.size}`);
    await rename(`${t.file}.partial`, t.file);
  }
}

async function copyRange(
  s3: S3Client,
  bucket: string,
  target: Target,
  { start, end }: ByteRange,
  signal: AbortSignal,
): Promise<void> {
  const out = await s3Call(target.path, () =>
    s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: target.key,
        Range: `bytes=${start}-${end - 1}`,
        IfMatch: target.etag,
      }),
      { abortSignal: signal },
    ),
  );
  let position = start;
  let batch: Buffer[] = [];
  let batched = 0;
  const write = async () => {
    const { bytesWritten } = await target.handle.writev(batch, position);
    if (bytesWritten !== batched) throw new Error(`${target.path}: short write at ${position}`);
    position += batched;
    batch = [];
    batched = 0;
  };
  for await (const chunk of out.Body as Readable) {
    batch.push(chunk as Buffer);
    batched += (chunk as Buffer).length;
    if (batched >= WRITE_BATCH) await write();
  }
  if (batched) await write();
  if (position !== end)
    throw new Error(`${target.path}: bytes ${start}-${end - 1} ended after ${position - start} bytes`);
}

/** An S3 call for one file, its error naming the file (and saying what a 412 means). */
async function s3Call<T>(path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.name === 'PreconditionFailed')
      throw new Error(`${path} was replaced in the bucket during the copy (its ETag changed): run again`);
    if (e.name === 'NotFound') throw new Error(`${path}: listed in the manifest but not in the bucket`);
    throw new Error(`${path}: ${e.name}: ${e.message}`);
  }
}

/**
 * llama-server is started with `-m` on one name: the first GGUF by path, which for a split model is its
 * `-00001-of-` part (llama.cpp finds the others beside it). The link is relative, so it holds wherever the
 * volume is mounted.
 */
async function linkGguf(dir: string, manifest: ModelCacheManifest): Promise<void> {
  if (manifest.runtime !== 'llama-cpp') return;
  const first = manifest.files
    .map((f) => f.path)
    .filter((p) => /\.gguf$/i.test(p))
    .sort()[0];
  if (first === undefined) throw new Error('the manifest lists no GGUF file');
  // A repository's own top-level model.gguf is the file itself.
  if (first === MODEL_CACHE_GGUF_LINK) return;
  const link = join(dir, MODEL_CACHE_GGUF_LINK);
  await rm(link, { force: true });
  await symlink(first, link);
}

/**
 * `fn` over `items`, at most `limit` at once, results in order. After a failure no new item starts and
 * `onFail` runs (to abort those in flight); it settles once every started call has, then throws the first
 * error, so nothing still writes when the caller cleans up.
 */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  onFail: () => void,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        if (!failure) {
          failure = { err };
          onFail();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
  return results;
}
