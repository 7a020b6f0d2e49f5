// How fast fetch loads a model from S3, the step that decides a replacement node's start time. A model of
// BENCH_MB MiB (default 128) of random bytes in moto (the test environment's S3, over loopback), copied
// three ways, each three rounds, medians printed:
//   fetch        runFetch: files and byte ranges in parallel, written at their offsets
//   single GET   one GetObject streamed to a file (what a naive copy does)
//   local disk   the same bytes written from memory to a file (the ceiling: no network, no S3)
// BENCH_RANGE_MB and BENCH_CONCURRENCY override fetch's range size and concurrency (defaults: the tool's).
// Absolute figures are moto's and this machine's, not a VPC endpoint's. moto favours the single GET: it
// reads the whole object for every ranged GET and slices it afterwards (moto 5.2 s3/responses.py), and it
// serves from one Python process, so parallel ranges cost it more instead of spreading the load as S3's
// many servers do; it also holds up to concurrency × size in memory while it does (16 × 128 MiB at the
// defaults: mind a shared test environment). On S3 one stream stays far below a GPU node's bandwidth;
// ranges in parallel are how AWS's own guidance fills it.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { modelCachePrefix, type ModelCacheManifest } from '@sentiment/crds';
import { awsClientConfig, loadTestEnv } from '@sentiment/testenv';
import { pino } from 'pino';
import { runFetch } from '../src/fetch.js';

const MB = Number(process.env.BENCH_MB ?? 128);
const RANGE_MB = process.env.BENCH_RANGE_MB ? Number(process.env.BENCH_RANGE_MB) : undefined;
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
const ROUNDS = 3;
const env = loadTestEnv();
const s3 = new S3Client(awsClientConfig(env));
const bucket = `sentiment-model-cache-bench-${randomBytes(4).toString('hex')}`;
const model = 'bench-org/bench-model';
const prefix = modelCachePrefix('vllm', model);
const path = 'model.safetensors';
const bytes = randomBytes(MB * 1024 * 1024);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** MB/s (10^6) of one run of `copy` into a fresh directory. */
async function timed(copy: (dir: string) => Promise<void>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'model-cache-bench-'));
  try {
    const started = performance.now();
    await copy(dir);
    return bytes.length / 1e6 / ((performance.now() - started) / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ways: Record<string, (dir: string) => Promise<void>> = {
  fetch: async (dir) => {
    await runFetch(
      {
        command: 'fetch',
        bucket,
        prefix,
        model,
        runtime: 'vllm',
        region: env.AWS_REGION,
        dir,
        waitSeconds: 0,
      },
      {
        s3,
        log: pino({ level: 'silent' }),
        ...(RANGE_MB && { rangeSize: RANGE_MB * 1024 * 1024 }),
        ...(CONCURRENCY && { concurrency: CONCURRENCY }),
      },
    );
  },
  'single GET': async (dir) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${path}` }));
    await pipeline(out.Body as Readable, createWriteStream(join(dir, path)));
  },
  'local disk': (dir) => writeFile(join(dir, path), bytes),
};

async function main(): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    await new Upload({ client: s3, params: { Bucket: bucket, Key: `${prefix}${path}`, Body: bytes } }).done();
    const manifest: ModelCacheManifest = {
      model,
      runtime: 'vllm',
      revision: 'bench',
      files: [{ path, size: bytes.length }],
      seededAt: new Date().toISOString(),
    };
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}manifest.json`, Body: JSON.stringify(manifest) }),
    );

    const results: Record<string, number> = {};
    for (const [name, copy] of Object.entries(ways)) {
      const rounds: number[] = [];
      for (let i = 0; i < ROUNDS; i++) rounds.push(await timed(copy));
      results[name] = median(rounds);
      console.log(
        `${name.padEnd(11)} ${results[name].toFixed(0).padStart(6)} MB/s  (rounds: ${rounds.map((r) => r.toFixed(0)).join(', ')})`,
      );
    }
    const fetch = results.fetch!;
    console.log(
      `${MB} MiB: fetch is ${(fetch / results['single GET']!).toFixed(2)}x a single GET, ` +
        `${((fetch / results['local disk']!) * 100).toFixed(0)}% of writing from memory to disk`,
    );
  } finally {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: `${prefix}${path}` }, { Key: `${prefix}manifest.json` }] },
      }),
    );
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  }
}

await main();
