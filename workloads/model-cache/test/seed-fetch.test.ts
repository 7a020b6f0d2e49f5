// seed then fetch against moto's S3 and the Hub stand-in (@sentiment/testenv's hub-stand-in.ts): what lands in the bucket and
// on disk, byte for byte.
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { MODEL_CACHE_GGUF_LINK, modelCachePrefix, type ModelCacheManifest } from '@sentiment/crds';
import test from 'ava';
import { runFetch } from '../src/fetch.js';
import { runSeed } from '../src/seed.js';
import type { FakeRepo } from '@sentiment/testenv';
import {
  MiB,
  countingS3,
  fetchConfig,
  fileFixtures,
  hex,
  log,
  modelId,
  s3,
  seedConfig,
  tempDir,
} from './helpers.js';

const repos: Record<string, FakeRepo> = {};
const fixtures = fileFixtures(test, repos);
const { bucket } = fixtures;

/** Small parts and ranges, so a 12 MiB file is 3 multipart parts and 12 ranged GETs. */
const small = { partSize: 5 * MiB, rangeSize: 1 * MiB, concurrency: 4 };

function addRepo(files: Record<string, Buffer>, token?: string): { model: string; sha: string } {
  const model = modelId();
  const sha = hex(20);
  repos[model] = { sha, files, ...(token && { token }) };
  return { model, sha };
}

async function manifestOf(prefix: string): Promise<ModelCacheManifest> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}manifest.json` }));
  return JSON.parse(await out.Body!.transformToString()) as ModelCacheManifest;
}

test('vllm: seed then fetch copies the weights and configs byte for byte, nothing vllm does not read', async (t) => {
  const files = {
    'config.json': Buffer.from('{"model_type":"llama"}'),
    'model-00001-of-00002.safetensors': randomBytes(12 * MiB + 12345),
    'model-00002-of-00002.safetensors': randomBytes(300_000),
    'model.safetensors.index.json': Buffer.from('{}'),
    'tokenizer.json': Buffer.from('{"version":"1.0"}'),
    'empty.txt': Buffer.alloc(0),
    'original/consolidated.pth': randomBytes(1000),
    'original/params.json': Buffer.from('{}'),
    'training_args.pt': randomBytes(100),
    'modeling.py': Buffer.from('import os'),
    'README.md': Buffer.from('# tiny'),
  };
  const { model, sha } = addRepo(files);
  const before = Date.now();
  const seeded = await runSeed(seedConfig(bucket, model, 'vllm', fixtures.hub.endpoint), {
    s3,
    log,
    ...small,
  });
  t.false(seeded.alreadyCached);

  const expected = [
    'config.json',
    'empty.txt',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'tokenizer.json',
  ];
  const prefix = modelCachePrefix('vllm', model);
  const manifest = await manifestOf(prefix);
  t.like(manifest, { model, runtime: 'vllm', revision: sha });
  t.deepEqual(
    manifest.files,
    expected.map((path) => ({ path, size: files[path as keyof typeof files].length })),
  );
  t.true(Date.parse(manifest.seededAt) >= before - 1000);
  t.deepEqual(seeded.manifest, manifest);
  // Only what vllm reads was downloaded at all.
  t.deepEqual(
    fixtures.hub.served.filter((p) => p.startsWith(`${model}/`)).sort(),
    expected.map((p) => `${model}/${p}`),
  );
  // The big file went up in parts (an ETag of a multipart upload ends in -<parts>).
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}model-00001-of-00002.safetensors` }),
  );
  t.regex(head.ETag ?? '', /-3"$/);

  const dir = await tempDir();
  const fetched = await runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3, log, ...small });
  t.false(fetched.alreadyOnDisk);
  t.is(fetched.bytes, 12 * MiB + 12345 + 300_000 + 2 + 22 + 17);
  t.deepEqual((await readdir(dir)).sort(), ['.complete', ...expected].sort());
  for (const path of expected)
    t.true((await readFile(join(dir, path))).equals(files[path as keyof typeof files]), path);
  t.is(await readFile(join(dir, '.complete'), 'utf8'), `${sha}\n`);
});

test('llama-cpp: only the asked quant is copied, model.gguf links to the first split part', async (t) => {
  const files = {
    'tiny-Q8_0.gguf': randomBytes(2000),
    'Q6_K/tiny-Q6_K-00002-of-00002.gguf': randomBytes(1500),
    'Q6_K/tiny-Q6_K-00001-of-00002.gguf': randomBytes(3 * MiB + 7),
    'mmproj-tiny-Q6_K.gguf': randomBytes(100),
    'README.md': Buffer.from('# tiny'),
  };
  const { model } = addRepo(files);
  await runSeed(seedConfig(bucket, `${model}:q6_k`, 'llama-cpp', fixtures.hub.endpoint), {
    s3,
    log,
    ...small,
  });
  const prefix = modelCachePrefix('llama-cpp', `${model}:q6_k`);
  t.is(prefix, `models/llama-cpp/${model}/Q6_K/`);
  t.deepEqual(
    (await manifestOf(prefix)).files.map((f) => f.path),
    ['Q6_K/tiny-Q6_K-00001-of-00002.gguf', 'Q6_K/tiny-Q6_K-00002-of-00002.gguf'],
  );

  const dir = await tempDir();
  // The spec may name the quant in either case: the same prefix, the same files.
  await runFetch(fetchConfig(bucket, `${model}:Q6_K`, 'llama-cpp', dir), { s3, log, ...small });
  const link = join(dir, MODEL_CACHE_GGUF_LINK);
  t.true((await lstat(link)).isSymbolicLink());
  t.is(await readlink(link), 'Q6_K/tiny-Q6_K-00001-of-00002.gguf');
  t.true((await readFile(link)).equals(files['Q6_K/tiny-Q6_K-00001-of-00002.gguf']));
  t.true(
    (await readFile(join(dir, 'Q6_K/tiny-Q6_K-00002-of-00002.gguf'))).equals(
      files['Q6_K/tiny-Q6_K-00002-of-00002.gguf'],
    ),
  );
  t.deepEqual((await readdir(dir)).sort(), ['.complete', 'Q6_K', 'model.gguf']);
  t.deepEqual((await readdir(join(dir, 'Q6_K'))).sort(), [
    'tiny-Q6_K-00001-of-00002.gguf',
    'tiny-Q6_K-00002-of-00002.gguf',
  ]);

  const err = await t.throwsAsync(
    runSeed(seedConfig(bucket, `${model}:Q5_K_M`, 'llama-cpp', fixtures.hub.endpoint), { s3, log }),
  );
  t.is(err.message, 'no Q5_K_M GGUF file in the repository; quantisations available: Q6_K, Q8_0');
});

test('seed is idempotent: a second run finds the manifest and writes nothing', async (t) => {
  const { model, sha } = addRepo({
    'model.safetensors': randomBytes(1000),
    'config.json': Buffer.from('{}'),
  });
  const config = seedConfig(bucket, model, 'vllm', fixtures.hub.endpoint);
  const first = countingS3();
  await runSeed(config, { s3: first.s3, log });
  t.true(first.commands.includes('PutObjectCommand'), first.commands.join());
  const served = fixtures.hub.served.filter((p) => p.startsWith(`${model}/`)).length;
  t.is(served, 2);

  const second = countingS3();
  const again = await runSeed(config, { s3: second.s3, log });
  t.true(again.alreadyCached);
  t.is(again.manifest.revision, sha);
  t.deepEqual(second.commands, ['GetObjectCommand']);
  t.is(
    fixtures.hub.served.filter((p) => p.startsWith(`${model}/`)).length,
    served,
    'nothing downloaded from the Hub',
  );
});

test('gated: without a token the error names the Secret key; with it the copy works and the CDN never sees it', async (t) => {
  const token = `hf_${hex(8)}`;
  const { model } = addRepo(
    { 'model.safetensors': randomBytes(5000), 'config.json': Buffer.from('{}') },
    token,
  );
  const err = await t.throwsAsync(
    runSeed(seedConfig(bucket, model, 'vllm', fixtures.hub.endpoint), { s3, log }),
  );
  t.regex(err.message, /is gated or private on the Hub \(HTTP 401/);
  t.regex(err.message, /the platform's LLM Secret \(key HF_TOKEN\)/);

  const cdnAuthorizations = fixtures.hub.cdnAuthorizations;
  const seeded = await runSeed(seedConfig(bucket, model, 'vllm', fixtures.hub.endpoint, token), { s3, log });
  t.is(seeded.manifest.files.length, 2);
  t.is(fixtures.hub.cdnAuthorizations, cdnAuthorizations, 'the token went to the Hub only');
  t.is(fixtures.hub.cdnAuthorizations, 0);
});

test('a model the Hub does not know, and a file shorter than the Hub lists, fail without a manifest', async (t) => {
  const missing = await t.throwsAsync(
    runSeed(seedConfig(bucket, modelId(), 'vllm', fixtures.hub.endpoint), { s3, log }),
  );
  t.regex(missing.message, /^no such model on the Hub: test-org\/tiny-/);

  const { model } = addRepo({ 'model.safetensors': randomBytes(1000) });
  repos[model]!.listedSizes = { 'model.safetensors': 1001 };
  const short = await t.throwsAsync(
    runSeed(seedConfig(bucket, model, 'vllm', fixtures.hub.endpoint), { s3, log }),
  );
  t.is(short.message, 'model.safetensors: got 1000 bytes from the Hub, expected 1001');
  const dir = await tempDir();
  const fetch = await t.throwsAsync(runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3, log }));
  t.regex(fetch.message, /not seeded/);
});
