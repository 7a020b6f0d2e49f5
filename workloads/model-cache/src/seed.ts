// seed: copies a model's files from the Hub into the bucket, once. The manifest is written last, so it
// exists only when every file it lists does: readers wait for it, and a crashed seed leaves none and is
// simply run again (its parts overwritten).
import { Readable, Transform, pipeline } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { hubModel, modelCacheManifestKey, type ModelCacheManifest } from '@sentiment/crds';
import type { Logger } from 'pino';
import type { SeedConfig } from './config.js';
import { downloadFile, resolveRevision, selectFiles, type HubClient } from './hub.js';
import { rate } from './log.js';
import { readManifest } from './s3.js';

/** Multipart part size: 10,000 parts (S3's limit) of 64 MiB hold a 640 GiB file. */
export const PART_SIZE = 64 * 1024 * 1024;
/** Parts uploaded at once (each held in memory: 4 × 64 MiB). */
export const QUEUE_SIZE = 4;

export interface SeedDeps {
  s3: S3Client;
  log: Logger;
  /** Aborted on SIGTERM: the download and the upload stop, the multipart upload is aborted. */
  signal?: AbortSignal;
  /** Tests use small parts (S3's minimum is 5 MiB, the last part excepted). */
  partSize?: number;
  queueSize?: number;
}

export interface SeedResult {
  /** True when the manifest was there already and nothing was written. */
  alreadyCached: boolean;
  manifest: ModelCacheManifest;
}

export async function runSeed(config: SeedConfig, deps: SeedDeps): Promise<SeedResult> {
  const { s3, log, signal } = deps;
  const existing = await readManifest(s3, config.bucket, config.prefix, signal);
  if (existing) {
    log.info({ model: existing.model, revision: existing.revision, prefix: config.prefix }, 'already cached');
    return { alreadyCached: true, manifest: existing };
  }

  const { repo, quant } = hubModel(config.model, config.runtime);
  const hub: HubClient = { endpoint: config.hfEndpoint, token: config.hfToken, signal };
  const revision = await resolveRevision(hub, repo);
  const selected = selectFiles(revision.files, config.runtime, quant);
  log.info(
    {
      repo,
      revision: revision.sha,
      files: selected.map((f) => f.path),
      bucket: config.bucket,
      prefix: config.prefix,
    },
    'seeding',
  );

  const started = performance.now();
  const files: ModelCacheManifest['files'] = [];
  for (const file of selected) {
    const fileStarted = performance.now();
    const size = await copyFile(config, deps, hub, repo, revision.sha, file);
    files.push({ path: file.path, size });
    log.info({ path: file.path, ...rate(size, performance.now() - fileStarted) }, 'file copied');
  }

  const manifest: ModelCacheManifest = {
    model: config.model,
    runtime: config.runtime,
    revision: revision.sha,
    files,
    seededAt: new Date().toISOString(),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: config.bucket,
      Key: modelCacheManifestKey(config.prefix),
      Body: JSON.stringify(manifest, null, 2),
      ContentType: 'application/json',
    }),
    { abortSignal: signal },
  );
  const total = files.reduce((n, f) => n + f.size, 0);
  log.info(
    { revision: revision.sha, files: files.length, ...rate(total, performance.now() - started) },
    'seeded',
  );
  return { alreadyCached: false, manifest };
}

/** Streams one file from the Hub into `<prefix><path>`; returns its size, checked against the Hub's. */
async function copyFile(
  config: SeedConfig,
  deps: SeedDeps,
  hub: HubClient,
  repo: string,
  sha: string,
  file: { path: string; size?: number },
): Promise<number> {
  const download = await downloadFile(hub, repo, sha, file.path);
  const expected = [download.length, file.size].filter((n): n is number => n !== undefined);
  let bytes = 0;
  // A short or long body fails the stream before its end, so the upload is aborted rather than
  // completed with the wrong bytes.
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      const wrong = expected.find((n) => n !== bytes);
      callback(
        wrong === undefined
          ? null
          : new Error(`${file.path}: got ${bytes} bytes from the Hub, expected ${wrong}`),
      );
    },
  });
  // The fetch carries the signal: aborting it fails the body, which fails the upload (pipeline destroys
  // the counter with the error), which aborts the multipart upload; lib-storage's own abort() would
  // settle before sending that. The upload reports the error, so pipeline's callback has nothing to do.
  const body = pipeline(Readable.fromWeb(download.body), counter, () => {});
  const upload = new Upload({
    client: deps.s3,
    params: {
      Bucket: config.bucket,
      Key: `${config.prefix}${file.path}`,
      Body: body,
      ContentType: 'application/octet-stream',
    },
    partSize: deps.partSize ?? PART_SIZE,
    queueSize: deps.queueSize ?? QUEUE_SIZE,
  });
  await upload.done();
  return bytes;
}
