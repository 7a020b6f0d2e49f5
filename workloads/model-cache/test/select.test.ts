// The pure parts: which Hub files each runtime gets, the quantisations offered, manifest paths, ranges.
import test from 'ava';
import { ggufQuants, selectFiles, type HubFile } from '../src/hub.js';
import { parseManifest, unsafePathReason } from '../src/manifest.js';
import { planRanges } from '../src/fetch.js';

const files = (...paths: string[]): HubFile[] => paths.map((path) => ({ path, size: 1 }));
const paths = (selected: HubFile[]) => selected.map((f) => f.path);

// The layout of meta-llama/Llama-3.1-8B-Instruct, trimmed.
const LLAMA = files(
  '.gitattributes',
  'LICENSE',
  'README.md',
  'USE_POLICY.md',
  'config.json',
  'generation_config.json',
  'model-00001-of-00004.safetensors',
  'model-00002-of-00004.safetensors',
  'model.safetensors.index.json',
  'original/consolidated.00.pth',
  'original/params.json',
  'original/tokenizer.model',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'pytorch_model.bin',
  'training_args.pt',
  'modeling_custom.py',
  'chat_template.jinja',
  'merges.txt',
);

test('vllm: top-level safetensors, configs, tokenizer and template; no folders, .bin beside safetensors, .pt, .pth, .py', (t) => {
  t.deepEqual(paths(selectFiles(LLAMA, 'vllm')), [
    'chat_template.jinja',
    'config.json',
    'generation_config.json',
    'merges.txt',
    'model-00001-of-00004.safetensors',
    'model-00002-of-00004.safetensors',
    'model.safetensors.index.json',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
});

test('vllm: .bin weights when there are no safetensors; none at all is an error', (t) => {
  t.deepEqual(
    paths(selectFiles(files('pytorch_model.bin', 'config.json', 'tokenizer.model', 'x.tiktoken'), 'vllm')),
    ['config.json', 'pytorch_model.bin', 'tokenizer.model', 'x.tiktoken'],
  );
  t.throws(() => selectFiles(files('config.json', 'original/model.safetensors', 'model.pth'), 'vllm'), {
    message: /no weights for vllm/,
  });
});

const GGUFS = files(
  'README.md',
  'tiny-Q8_0.gguf',
  'tiny-q4_k_m.gguf',
  'tiny-Q4_K_S.gguf',
  'mmproj-tiny-Q8_0.gguf',
  'Q6_K/tiny-Q6_K-00002-of-00002.gguf',
  'Q6_K/tiny-Q6_K-00001-of-00002.gguf',
  'Meta-Llama-3-8B-Instruct.IQ4_XS.gguf',
);

test('llama-cpp: the asked quant case-insensitively as a whole word, every split part, no mmproj', (t) => {
  t.deepEqual(paths(selectFiles(GGUFS, 'llama-cpp', 'Q4_K_M')), ['tiny-q4_k_m.gguf']);
  t.deepEqual(paths(selectFiles(GGUFS, 'llama-cpp', 'Q8_0')), ['tiny-Q8_0.gguf']);
  t.deepEqual(paths(selectFiles(GGUFS, 'llama-cpp', 'Q6_K')), [
    'Q6_K/tiny-Q6_K-00001-of-00002.gguf',
    'Q6_K/tiny-Q6_K-00002-of-00002.gguf',
  ]);
  t.deepEqual(paths(selectFiles(GGUFS, 'llama-cpp', 'IQ4_XS')), ['Meta-Llama-3-8B-Instruct.IQ4_XS.gguf']);
});

test('llama-cpp: an unknown quant lists those available', (t) => {
  t.deepEqual(ggufQuants(GGUFS), ['IQ4_XS', 'Q4_K_M', 'Q4_K_S', 'Q6_K', 'Q8_0']);
  // Q4_K is a prefix of two quants, neither of which it names.
  const err = t.throws(() => selectFiles(GGUFS, 'llama-cpp', 'Q4_K'));
  t.is(
    err.message,
    'no Q4_K GGUF file in the repository; quantisations available: IQ4_XS, Q4_K_M, Q4_K_S, Q6_K, Q8_0',
  );
  t.throws(() => selectFiles(files('model.safetensors'), 'llama-cpp', 'Q4_K_M'), {
    message: /has no GGUF files/,
  });
});

test('manifest paths: relative paths inside the directory only', (t) => {
  for (const ok of ['a.json', 'Q6_K/x-00001-of-00002.gguf', 'a..b'])
    t.is(unsafePathReason(ok), undefined, ok);
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a/..', './a', 'a//b', 'C:\\x', 'a\\..\\b'])
    t.truthy(unsafePathReason(bad), bad);
});

test('manifest: parsed and checked, a bad path refused by name', (t) => {
  const manifest = {
    model: 'o/m',
    runtime: 'vllm',
    revision: 'abc',
    files: [{ path: 'a', size: 1 }],
    seededAt: 'x',
  };
  t.deepEqual(parseManifest(JSON.stringify(manifest), 'm'), manifest);
  t.throws(
    () => parseManifest(JSON.stringify({ ...manifest, files: [{ path: '../x', size: 1 }] }), 's3://b/m.json'),
    { message: 's3://b/m.json lists "../x": refused (a ".." segment)' },
  );
  t.throws(() => parseManifest(JSON.stringify({ ...manifest, runtime: 'tgi' }), 'm'), { message: /runtime/ });
  t.throws(() => parseManifest('{', 'm'), { message: 'm is not JSON' });
});

test('ranges cover the file exactly, the last one short', (t) => {
  t.deepEqual(planRanges(0, 4), []);
  t.deepEqual(planRanges(4, 4), [{ start: 0, end: 4 }]);
  t.deepEqual(planRanges(10, 4), [
    { start: 0, end: 4 },
    { start: 4, end: 8 },
    { start: 8, end: 10 },
  ]);
  t.throws(() => planRanges(10, 0));
});
