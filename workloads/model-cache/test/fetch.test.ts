// fetch against moto's S3, with manifests written here (no Hub): waiting for the seed, refusing bad
// manifests and changed objects, and doing nothing when the directory is complete.
import { randomBytes } from 'node:crypto';
import { access, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { modelCachePrefix, type LlmRuntime, type ModelCacheManifest } from '@sentiment/crds';
import test from 'ava';
import { runFetch } from '../src/fetch.js';
import { countingS3, fetchConfig, fileFixtures, hex, log, modelId, s3, tempDir } from './helpers.js';

const { bucket } = fileFixtures(test);

const put = (key: string, body: string | Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

/** What a seed leaves in the bucket: the files, then the manifest (whose sizes can be made to lie). */
async function seedDirectly(
  files: Record<string, Buffer>,
  { runtime = 'vllm' as LlmRuntime, model = modelId(), sizes = {} as Record<string, number> } = {},
): Promise<{ model: string; manifest: ModelCacheManifest }> {
  const prefix = modelCachePrefix(runtime, model);
  for (const [path, bytes] of Object.entries(files)) await put(`${prefix}${path}`, bytes);
  const manifest: ModelCacheManifest = {
    model,
    runtime,
    revision: hex(20),
    files: Object.entries(files).map(([path, bytes]) => ({ path, size: sizes[path] ?? bytes.length })),
    seededAt: new Date().toISOString(),
  };
  await put(`${prefix}manifest.json`, JSON.stringify(manifest));
  return { model, manifest };
}

test('fetch started before the seed waits for the manifest, then copies', async (t) => {
  const model = modelId();
  const dir = await tempDir();
  const fetching = runFetch(fetchConfig(bucket, model, 'vllm', dir, 60), { s3, log });
  await new Promise((r) => setTimeout(r, 500));
  await t.throwsAsync(access(join(dir, 'config.json')), undefined, 'nothing written before the manifest');
  const { manifest } = await seedDirectly({ 'config.json': Buffer.from('{}') }, { model });
  const result = await fetching;
  t.is(result.manifest.revision, manifest.revision);
  t.is(await readFile(join(dir, 'config.json'), 'utf8'), '{}');
});

test('with no seed, fetch gives up after the wait, naming the bucket, the prefix and the seed Job', async (t) => {
  const model = modelId();
  const started = Date.now();
  const err = await t.throwsAsync(
    runFetch(fetchConfig(bucket, model, 'vllm', await tempDir(), 2), { s3, log }),
  );
  const waited = Date.now() - started;
  t.true(waited >= 2000 && waited < 6000, `${waited} ms`);
  t.is(
    err.message,
    `the model was not seeded within 2 s (no s3://${bucket}/models/vllm/${model}/manifest.json): the platform's ` +
      `seed Job copies it from the Hub into the bucket; see that Job's status and logs`,
  );
});

test('an S3 error other than a missing manifest fails at once (no such bucket)', async (t) => {
  const started = Date.now();
  const missing = `sentiment-no-such-bucket-${hex(6)}`;
  const err = await t.throwsAsync(
    runFetch(fetchConfig(missing, modelId(), 'vllm', await tempDir(), 60), { s3, log }),
  );
  t.true(Date.now() - started < 1500, 'no waiting');
  t.regex(
    err.message,
    new RegExp(`^cannot read s3://${missing}/models/vllm/.*/manifest.json: NoSuchBucket: `),
  );
});

test('a manifest size that differs from the object fails naming the file, before writing it', async (t) => {
  const { model } = await seedDirectly(
    { 'config.json': Buffer.from('{}'), 'model.safetensors': randomBytes(100) },
    { sizes: { 'model.safetensors': 101 } },
  );
  const dir = await tempDir();
  const err = await t.throwsAsync(runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3, log }));
  t.regex(
    err.message,
    /^model\.safetensors: the manifest says 101 bytes, s3:\/\/.*model\.safetensors has 100$/,
  );
  t.deepEqual(await readdir(dir), []);
});

test('a manifest for another model under the prefix is refused', async (t) => {
  const { model } = await seedDirectly({ 'config.json': Buffer.from('{}') });
  const config = { ...fetchConfig(bucket, model, 'vllm', await tempDir()), model: 'other-org/other' };
  const err = await t.throwsAsync(runFetch(config, { s3, log }));
  t.regex(
    err.message,
    new RegExp(`manifest\\.json is for ${model} \\(vllm\\), not other-org/other \\(vllm\\)$`),
  );
});

test('a manifest path outside the directory is refused, nothing written', async (t) => {
  const model = modelId();
  const prefix = modelCachePrefix('vllm', model);
  await put(`${prefix}x`, 'x');
  await put(
    `${prefix}manifest.json`,
    JSON.stringify({
      model,
      runtime: 'vllm',
      revision: 'r',
      files: [{ path: '../x', size: 1 }],
      seededAt: 'now',
    }),
  );
  const parent = await tempDir();
  const dir = join(parent, 'models');
  const err = await t.throwsAsync(runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3, log }));
  t.is(err.message, `s3://${bucket}/${prefix}manifest.json lists "../x": refused (a ".." segment)`);
  t.deepEqual(await readdir(parent), []);
});

test('a second fetch into a completed directory reads only the manifest; another revision copies again', async (t) => {
  const files = { 'config.json': Buffer.from('{"a":1}'), 'model.safetensors': randomBytes(3000) };
  const { model, manifest } = await seedDirectly(files);
  const dir = await tempDir();
  await runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3, log });

  const again = countingS3();
  const result = await runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3: again.s3, log });
  t.true(result.alreadyOnDisk);
  t.deepEqual(again.commands, ['GetObjectCommand']);

  // A different revision on disk (a stale copy) is replaced.
  await writeFile(join(dir, '.complete'), 'an-older-revision\n');
  await writeFile(join(dir, 'config.json'), 'stale');
  const third = countingS3();
  t.false((await runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3: third.s3, log })).alreadyOnDisk);
  t.is(third.commands.filter((c) => c === 'HeadObjectCommand').length, 2);
  t.is(await readFile(join(dir, 'config.json'), 'utf8'), '{"a":1}');
  t.is(await readFile(join(dir, '.complete'), 'utf8'), `${manifest.revision}\n`);
});

test('an object replaced between its HEAD and its ranged GETs fails the copy (IfMatch)', async (t) => {
  const { model, manifest } = await seedDirectly({ 'model.safetensors': randomBytes(4000) });
  const key = `${modelCachePrefix('vllm', model)}model.safetensors`;
  const racing = countingS3();
  // Right after the HEAD, the object is overwritten with as many other bytes.
  racing.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'HeadObjectCommand') await put(key, randomBytes(4000));
      return out;
    },
    { step: 'initialize' },
  );
  const dir = await tempDir();
  const err = await t.throwsAsync(
    runFetch(fetchConfig(bucket, model, 'vllm', dir), { s3: racing.s3, log, rangeSize: 1000 }),
  );
  t.is(
    err.message,
    'model.safetensors was replaced in the bucket during the copy (its ETag changed): run again',
  );
  t.is(manifest.files.length, 1);
  await t.throwsAsync(access(join(dir, 'model.safetensors')));
  await t.throwsAsync(access(join(dir, '.complete')));
});
