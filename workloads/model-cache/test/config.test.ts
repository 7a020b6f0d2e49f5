import test from 'ava';
import { ConfigError, loadConfig } from '../src/config.js';

const base = {
  MODEL_CACHE_BUCKET: 'sentiment-models',
  MODEL_CACHE_PREFIX: 'models/llama-cpp/org/tiny/Q4_K_M/',
  MODEL_CACHE_MODEL: 'org/tiny:q4_k_m',
  MODEL_CACHE_RUNTIME: 'llama-cpp',
  AWS_REGION: 'eu-west-1',
};

test('seed: the contract variables, the Hub by default, a token when set', (t) => {
  t.deepEqual(loadConfig('seed', base), {
    command: 'seed',
    bucket: 'sentiment-models',
    prefix: 'models/llama-cpp/org/tiny/Q4_K_M/',
    model: 'org/tiny:q4_k_m',
    runtime: 'llama-cpp',
    region: 'eu-west-1',
    hfToken: undefined,
    hfEndpoint: 'https://huggingface.co',
  });
  t.like(loadConfig('seed', { ...base, HF_TOKEN: 'hf_x', HF_ENDPOINT: 'http://mirror.local/' }), {
    hfToken: 'hf_x',
    hfEndpoint: 'http://mirror.local',
  });
});

test('fetch: the directory, a 2 h wait by default, AWS_DEFAULT_REGION taken', (t) => {
  const { AWS_REGION: _, ...noRegion } = base;
  t.like(loadConfig('fetch', { ...noRegion, AWS_DEFAULT_REGION: 'us-west-2', MODEL_CACHE_DIR: '/models' }), {
    command: 'fetch',
    dir: '/models',
    waitSeconds: 7200,
    region: 'us-west-2',
  });
  t.like(loadConfig('fetch', { ...base, MODEL_CACHE_DIR: '/models', MODEL_CACHE_WAIT_SECONDS: '60' }), {
    waitSeconds: 60,
  });
});

test('every missing or invalid variable is listed at once, never a value', (t) => {
  const err = t.throws(
    () =>
      loadConfig('fetch', {
        MODEL_CACHE_BUCKET: 'Not_A_Bucket',
        MODEL_CACHE_PREFIX: '/abs/',
        MODEL_CACHE_MODEL: 'https://example.com/m.gguf',
        MODEL_CACHE_RUNTIME: 'tgi',
        MODEL_CACHE_DIR: 'relative',
        MODEL_CACHE_WAIT_SECONDS: 'soon',
        HF_TOKEN: 'hf_secret',
      }),
    { instanceOf: ConfigError },
  );
  for (const name of [
    'MODEL_CACHE_BUCKET: an S3 bucket name',
    'MODEL_CACHE_PREFIX: a key prefix',
    'MODEL_CACHE_MODEL: a Hugging Face repository id',
    'MODEL_CACHE_RUNTIME: one of vllm, llama-cpp',
    'MODEL_CACHE_DIR: an absolute path',
    'MODEL_CACHE_WAIT_SECONDS:',
    'AWS_REGION: missing',
  ])
    t.true(err.message.includes(name), `${name} in ${err.message}`);
  t.false(err.message.includes('hf_secret'));

  const missing = t.throws(() => loadConfig('seed', { HF_ENDPOINT: 'ftp://x' }), { instanceOf: ConfigError });
  t.regex(
    missing.message,
    /MODEL_CACHE_BUCKET: missing.*MODEL_CACHE_PREFIX: missing.*MODEL_CACHE_MODEL: missing.*MODEL_CACHE_RUNTIME: missing.*HF_ENDPOINT: an http\(s\) URL.*AWS_REGION: missing/,
  );
  t.notRegex(missing.message, /MODEL_CACHE_DIR/);
});

test('empty strings count as unset', (t) => {
  const err = t.throws(() => loadConfig('fetch', { ...base, MODEL_CACHE_DIR: '' }), {
    instanceOf: ConfigError,
  });
  t.is(err.message, 'invalid configuration: MODEL_CACHE_DIR: missing');
});
