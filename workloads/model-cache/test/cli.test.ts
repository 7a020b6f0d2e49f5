// The CLI as the image runs it (main.ts in a child process, env as the operator sets it) against moto
// and the Hub stand-in: exit codes and the JSON log lines an operator reads.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelCachePrefix } from '@sentiment/crds';
import test from 'ava';
import type { FakeRepo } from '@sentiment/testenv';
import { MAIN, cli, fileFixtures, hex, modelId, tempDir, toolEnv } from './helpers.js';

const repos: Record<string, FakeRepo> = {};
const fixtures = fileFixtures(test, repos);
const { bucket } = fixtures;

test('seed then fetch: exit 0, the files on disk, the throughput logged', async (t) => {
  const model = modelId();
  const weights = randomBytes(200_000);
  repos[model] = { sha: hex(20), files: { 'tiny-Q4_K_M.gguf': weights, 'tiny-Q8_0.gguf': randomBytes(10) } };
  const vars = {
    MODEL_CACHE_BUCKET: bucket,
    MODEL_CACHE_PREFIX: modelCachePrefix('llama-cpp', model),
    MODEL_CACHE_MODEL: model,
    MODEL_CACHE_RUNTIME: 'llama-cpp',
  };
  const seed = await cli('seed', toolEnv({ ...vars, HF_ENDPOINT: fixtures.hub.endpoint }));
  t.is(seed.code, 0, seed.stdout + seed.stderr);
  t.like(
    seed.logs.find((l) => l.msg === 'file copied'),
    { path: 'tiny-Q4_K_M.gguf', bytes: 200_000 },
  );
  t.like(seed.logs.at(-1), { msg: 'seeded', files: 1, bytes: 200_000, command: 'seed' });

  const dir = await tempDir();
  const fetch = await cli('fetch', toolEnv({ ...vars, MODEL_CACHE_DIR: dir }));
  t.is(fetch.code, 0, fetch.stdout + fetch.stderr);
  t.true((await readFile(join(dir, 'model.gguf'))).equals(weights));
  const done = fetch.logs.at(-1)!;
  t.like(done, { msg: 'fetched', bytes: 200_000, files: 1, component: 'sentiment-model-cache' });
  t.is(typeof done.mbPerSecond, 'number');
  t.is(typeof done.seconds, 'number');
});

test('fetch with no manifest: exit 1 after the wait, one JSON error line', async (t) => {
  const model = modelId();
  const result = await cli(
    'fetch',
    toolEnv({
      MODEL_CACHE_BUCKET: bucket,
      MODEL_CACHE_PREFIX: modelCachePrefix('vllm', model),
      MODEL_CACHE_MODEL: model,
      MODEL_CACHE_RUNTIME: 'vllm',
      MODEL_CACHE_DIR: await tempDir(),
      MODEL_CACHE_WAIT_SECONDS: '1',
    }),
  );
  t.is(result.code, 1, result.stdout + result.stderr);
  const errors = result.logs.filter((l) => l.level >= 50);
  t.is(errors.length, 1, result.stdout);
  t.regex(
    errors[0]!.msg,
    /^fetch failed: the model was not seeded within 1 s \(no s3:\/\/.*manifest\.json\)/,
  );
  t.true(result.logs.some((l) => l.msg.startsWith('waiting for the model to be seeded')));
});

test('no or an unknown command, or a bad environment: exit 1 saying why', async (t) => {
  const none = await cli('', toolEnv({}));
  t.is(none.code, 1);
  t.regex(none.logs.at(-1)?.msg ?? '', /usage: main\.js seed\|fetch/);
  const bad = await cli('seed', { AWS_REGION: '', MODEL_CACHE_BUCKET: bucket });
  t.is(bad.code, 1);
  t.regex(bad.logs.at(-1)?.msg ?? '', /^seed failed: invalid configuration: MODEL_CACHE_PREFIX: missing/);
});

test('SIGTERM while waiting for the seed ends fetch at once with exit 1', async (t) => {
  const model = modelId();
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, 'fetch'], {
    env: {
      ...process.env,
      ...toolEnv({
        MODEL_CACHE_BUCKET: bucket,
        MODEL_CACHE_PREFIX: modelCachePrefix('vllm', model),
        MODEL_CACHE_MODEL: model,
        MODEL_CACHE_RUNTIME: 'vllm',
        MODEL_CACHE_DIR: await tempDir(),
      }),
    },
  });
  let stdout = '';
  let stopped = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    // Waiting (the first log line of the wait): now stop it.
    if (stdout.includes('waiting for the model to be seeded') && !stopped) stopped = child.kill('SIGTERM');
  });
  const started = Date.now();
  const [code] = (await once(child, 'exit')) as [number | null];
  t.is(code, 1, stdout);
  t.true(Date.now() - started < 20_000);
  t.regex(stdout, /"msg":"fetch failed: interrupted by SIGTERM/);
});
