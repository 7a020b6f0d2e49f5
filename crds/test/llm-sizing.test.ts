import test from 'ava';
import {
  A10G_MEMORY_BYTES,
  G5_INSTANCE_TYPES,
  gpusForInstanceType,
  kvBytesPerToken,
  knownModel,
  quantizationOf,
  sizeLlm,
} from '../src/index.js';

const GB = 1e9;
type Size = '8B' | '70B' | '405B';
const QUANTS = { bf16: '', fp8: '-FP8', '4-bit': '-AWQ-INT4' } as const;
const model = (size: Size, quant: keyof typeof QUANTS) =>
  `meta-llama/Llama-3.1-${size}-Instruct${QUANTS[quant]}`;

// Published checkpoint sizes in bf16 (Meta's model cards: ~16 GB, ~140 GB, ~810 GB); fp8 halves them and
// 4-bit with its group scales takes ~0.56 bytes a parameter.
const WEIGHTS_GB: Record<Size, number> = { '8B': 16, '70B': 140, '405B': 810 };
const PER_QUANT: Record<keyof typeof QUANTS, number> = { bf16: 1, fp8: 0.5, '4-bit': 0.28 };

// model × instance × quantization → tokens of context that fit at 90% (undefined: refused).
const TABLE: [Size, string, keyof typeof QUANTS, number | undefined][] = [
  ['8B', 'g5.xlarge', 'bf16', 35_072],
  ['8B', 'g5.xlarge', 'fp8', 96_256],
  ['8B', 'g5.xlarge', '4-bit', 123_136],
  ['8B', 'g5.12xlarge', 'bf16', 131_072],
  ['8B', 'g5.12xlarge', 'fp8', 131_072],
  ['8B', 'g5.12xlarge', '4-bit', 131_072],
  ['8B', 'g5.48xlarge', 'bf16', 131_072],
  ['8B', 'g5.48xlarge', 'fp8', 131_072],
  ['8B', 'g5.48xlarge', '4-bit', 131_072],
  ['70B', 'g5.xlarge', 'bf16', undefined],
  ['70B', 'g5.xlarge', 'fp8', undefined],
  ['70B', 'g5.xlarge', '4-bit', undefined],
  ['70B', 'g5.12xlarge', 'bf16', undefined],
  ['70B', 'g5.12xlarge', 'fp8', 36_608],
  ['70B', 'g5.12xlarge', '4-bit', 130_816],
  ['70B', 'g5.48xlarge', 'bf16', 73_216],
  ['70B', 'g5.48xlarge', 'fp8', 131_072],
  ['70B', 'g5.48xlarge', '4-bit', 131_072],
  ['405B', 'g5.xlarge', 'bf16', undefined],
  ['405B', 'g5.xlarge', 'fp8', undefined],
  ['405B', 'g5.xlarge', '4-bit', undefined],
  ['405B', 'g5.12xlarge', 'bf16', undefined],
  ['405B', 'g5.12xlarge', 'fp8', undefined],
  ['405B', 'g5.12xlarge', '4-bit', undefined],
  ['405B', 'g5.48xlarge', 'bf16', undefined],
  ['405B', 'g5.48xlarge', 'fp8', undefined],
  ['405B', 'g5.48xlarge', '4-bit', undefined],
];

for (const [size, instanceType, quant, context] of TABLE) {
  test(`Llama-3.1-${size} ${quant} on ${instanceType}: ${context === undefined ? 'refused' : `${context} tokens`}`, (t) => {
    const s = sizeLlm({ runtime: 'vllm', model: model(size, quant), instanceType });
    if (context === undefined) {
      t.is(s.verdict, 'too-large');
      if (s.verdict === 'too-large')
        t.regex(s.problem, new RegExp(`does not fit ${instanceType}: its weights need ~`));
      return;
    }
    t.like(s, { verdict: 'fits', maxContext: context });
    if (s.verdict !== 'fits') return;
    const published = WEIGHTS_GB[size] * PER_QUANT[quant];
    t.true(
      Math.abs(s.weightBytes / GB - published) <= published * 0.06,
      `${s.weightBytes / GB} GB vs ~${published}`,
    );
  });
}

test('weights are the published sizes: 8B ≈ 16 GB, 70B ≈ 140 GB, 405B ≈ 810 GB in bf16', (t) => {
  for (const size of ['8B', '70B', '405B'] as const) {
    const params = knownModel(model(size, 'bf16'))!.shape.parameters;
    t.true(
      Math.abs(
        (params * quantizationOf(model(size, 'bf16'), 'vllm').bytesPerParameter) / GB - WEIGHTS_GB[size],
      ) <
        WEIGHTS_GB[size] * 0.02,
    );
  }
});

test('KV cache per token follows the shape: 128 KiB for 8B, 320 KiB for 70B (grouped-query attention)', (t) => {
  t.is(kvBytesPerToken(knownModel('Llama-3.1-8B')!.shape), 128 * 1024);
  t.is(kvBytesPerToken(knownModel('meta-llama/Llama-3.3-70B-Instruct')!.shape), 320 * 1024);
});

test('quantization is read from the model id, else the runtime default', (t) => {
  const q = (m: string, r: 'vllm' | 'llama-cpp' = 'vllm') => quantizationOf(m, r);
  t.deepEqual(q('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M', 'llama-cpp'), {
    name: 'Q4_K_M',
    bytesPerParameter: 4.84 / 8,
  });
  t.is(q('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:q8_0', 'llama-cpp').name, 'Q8_0');
  t.is(q('bartowski/Meta-Llama-3.1-8B-Instruct-GGUF', 'llama-cpp').name, 'Q4_K_M');
  t.is(q('TheBloke/Llama-2-70B-GPTQ').bytesPerParameter, 4.5 / 8);
  t.is(q('neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8').name, 'fp8');
  t.is(q('meta-llama/Llama-3.1-8B-Instruct').name, 'bf16');
});

test('llama.cpp: a GGUF Q4_K_M 8B leaves room for 120k tokens on one A10G; 70B in Q4_K_M does not fit it', (t) => {
  t.like(
    sizeLlm({
      runtime: 'llama-cpp',
      model: 'bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M',
      instanceType: 'g5.xlarge',
    }),
    {
      verdict: 'fits',
      maxContext: 120_320,
    },
  );
  t.is(
    sizeLlm({
      runtime: 'llama-cpp',
      model: 'bartowski/Meta-Llama-3.1-70B-Instruct-GGUF',
      instanceType: 'g5.2xlarge',
    }).verdict,
    'too-large',
  );
});

test("the context is capped at the model's own: Llama 2 stops at 4096", (t) => {
  t.like(sizeLlm({ runtime: 'vllm', model: 'meta-llama/Llama-2-7b-chat-hf', instanceType: 'g5.xlarge' }), {
    maxContext: 4096,
  });
});

test('weights that fit but leave too little KV cache for a prompt are refused', (t) => {
  // 10.2B parameters in bf16: 20.4 GB of the 20.7 GB leave KV cache for under 2048 tokens.
  const s = sizeLlm({
    runtime: 'vllm',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    instanceType: 'g5.xlarge',
    parameters: 10.2e9,
  });
  t.is(s.verdict, 'too-large');
  if (s.verdict === 'too-large')
    t.regex(s.problem, /leaves KV cache for \d+ tokens of context, fewer than the 2048/);
});

test('an explicit parameter count sizes an unknown model; without one it is unknown', (t) => {
  t.is(sizeLlm({ runtime: 'vllm', model: 'acme/Custom', instanceType: 'g5.xlarge' }).verdict, 'unknown');
  t.like(sizeLlm({ runtime: 'vllm', model: 'acme/Custom', instanceType: 'g5.xlarge', parameters: 3e9 }), {
    verdict: 'fits',
    weightBytes: 6e9,
    maxContext: undefined,
  });
});

test('one g5 table: GPUs per instance type and 24 GiB nominal A10Gs', (t) => {
  t.deepEqual(
    Object.entries(G5_INSTANCE_TYPES).map(([type, { gpus }]) => [type, gpus, gpusForInstanceType(type)]),
    Object.entries(G5_INSTANCE_TYPES).map(([type, { gpus }]) => [type, gpus, gpus]),
  );
  t.is(G5_INSTANCE_TYPES['g5.48xlarge']!.gpus, 8);
  t.true(A10G_MEMORY_BYTES < 24 * 2 ** 30 && A10G_MEMORY_BYTES > 22 * 2 ** 30);
});
