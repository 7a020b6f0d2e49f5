import test from 'ava';
import {
  DEFAULT_IMAGES,
  gpusForInstanceType,
  llmSummary,
  PROFILES,
  resolveSpec,
  type SentimentPlatformSpec,
} from '../src/index.js';

test('no spec resolves to the demo profile', (t) => {
  const r = resolveSpec({});
  t.is(r.profile, 'demo');
  t.is(r.api.capacity, 'fargate');
  t.is(r.llm.provider, 'bedrock');
  t.deepEqual(resolveSpec(undefined), r);
});

for (const profile of PROFILES) {
  test(`profile ${profile} resolves every field`, (t) => {
    const r = resolveSpec({ profile });
    for (const c of [r.api, r.worker, r.ml]) {
      t.true(c.replicas >= 1);
      t.truthy(c.resources.requests.cpu);
      t.truthy(c.resources.requests.memory);
      t.truthy(c.image);
    }
    t.true(r.api.autoscaling.min <= r.api.autoscaling.max);
    t.is(r.ingress.className, 'alb');
  });
}

test('profiles differ where they should', (t) => {
  const demo = resolveSpec({ profile: 'demo' });
  const prod = resolveSpec({ profile: 'production' });
  const cheap = resolveSpec({ profile: 'ultra-low-cost' });
  t.is(prod.api.capacity, 'on-demand');
  t.true(prod.api.replicas > demo.api.replicas);
  t.true(prod.data.retainOnDelete);
  t.false(demo.data.retainOnDelete);
  t.is(cheap.api.capacity, 'spot');
  t.is(cheap.worker.capacity, 'spot');
  t.false(cheap.ml.autoscaling.enabled);
});

test('an explicit field overrides the preset and leaves its siblings', (t) => {
  const r = resolveSpec({ profile: 'production', api: { replicas: 5, autoscaling: { max: 40 } } });
  t.is(r.api.replicas, 5);
  t.is(r.api.autoscaling.max, 40);
  t.is(r.api.autoscaling.min, 3, 'min still from the production preset');
  t.is(r.api.capacity, 'on-demand');
  t.is(r.worker.replicas, 2);
});

test('self-hosted LLM: defaults, image by runtime, GPUs by instance type', (t) => {
  const vllm = resolveSpec({ llm: { provider: 'self-hosted', selfHosted: { model: 'm' } } });
  t.like(vllm.llm, {
    provider: 'self-hosted',
    selfHosted: {
      runtime: 'vllm',
      instanceType: 'g5.2xlarge',
      capacity: 'spot',
      gpus: 1,
      image: DEFAULT_IMAGES.vllm,
    },
  });
  const llama = resolveSpec({
    profile: 'production',
    llm: {
      provider: 'self-hosted',
      selfHosted: { runtime: 'llama-cpp', model: 'm', instanceType: 'g5.12xlarge' },
    },
  });
  t.like(llama.llm, { selfHosted: { image: DEFAULT_IMAGES['llama-cpp'], gpus: 4, capacity: 'on-demand' } });
  t.is(gpusForInstanceType('g5.48xlarge'), 8);
  t.is(llmSummary(vllm.llm), 'vllm:m', 'a model the sizing does not know: no context');
  const sized = resolveSpec({
    llm: { provider: 'self-hosted', selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct' } },
  });
  t.regex(llmSummary(sized.llm), /^vllm:meta-llama\/Llama-3\.1-8B-Instruct \(context \d+\)$/);
  t.is(llmSummary(resolveSpec({}).llm), 'bedrock:anthropic.claude-3-haiku-20240307-v1:0');
  t.is(llmSummary(resolveSpec({ llm: { provider: 'none' } }).llm), 'none');
});

test('data: secretRefs keep their name and get the default key; cpu numbers become quantities', (t) => {
  const r = resolveSpec({
    data: {
      postgres: { secretRef: { name: 'pg' } },
      redis: { secretRef: { name: 'r', key: 'url' } },
      opensearch: { endpoint: 'https://os' },
    },
    api: { resources: { requests: { cpu: 2 } } },
  });
  t.deepEqual(r.data.postgres, { secretRef: { name: 'pg', key: 'DATABASE_URL' } });
  t.deepEqual(r.data.redis, { secretRef: { name: 'r', key: 'url' } });
  t.deepEqual(r.data.opensearch, { endpoint: 'https://os' });
  t.is(r.api.resources.requests.cpu, '2');
  t.is(r.api.resources.requests.memory, '512Mi', 'memory still from the preset');
});

test('resolveSpec is pure: the input is untouched and the output repeatable', (t) => {
  const spec: SentimentPlatformSpec = { profile: 'production', api: { autoscaling: { max: 9 } } };
  const before = JSON.stringify(spec);
  const a = resolveSpec(spec);
  const b = resolveSpec(spec);
  t.is(JSON.stringify(spec), before);
  t.deepEqual(a, b);
  a.api.autoscaling.max = 1;
  t.is(resolveSpec(spec).api.autoscaling.max, 9, 'results share no state with the presets');
});
