// The two LLM adapters through their real SDKs against loopback servers speaking the wire formats.
import test from 'ava';
import { BedrockLlm } from '../src/llm/bedrock.js';
import { createLlm } from '../src/llm/create.js';
import { LlmError, type LlmRequest } from '../src/llm/llm.js';
import { OpenAiCompatibleLlm } from '../src/llm/openai-compatible.js';
import { startFakeLlm, type FakeLlmServer } from './fakes/llm-servers.js';
import { testConfig } from './helpers.js';

// The SDK's default provider chain reads these first (in EKS it finds IRSA's token instead).
process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST';
process.env.AWS_SECRET_ACCESS_KEY = 'secret-for-signing-only';

const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const req: LlmRequest = {
  system: 'the rules',
  messages: [{ role: 'user', content: 'the question' }],
  maxTokens: 123,
};

let bedrock: FakeLlmServer;
let openai: FakeLlmServer;
test.before(async () => {
  bedrock = await startFakeLlm('bedrock');
  openai = await startFakeLlm('openai');
});
test.after.always(async () => {
  await bedrock?.close();
  await openai?.close();
});

test.serial(
  'Bedrock: Converse request with system, messages, maxTokens, temperature 0, SigV4 for the region',
  async (t) => {
    bedrock.requests.length = 0;
    bedrock.script(() => ({ text: 'answer from bedrock' }));
    const llm = new BedrockLlm({ region: 'eu-west-1', modelId: MODEL_ID, endpoint: bedrock.url });
    t.is(await llm.complete(req), 'answer from bedrock');
    t.is(bedrock.requests.length, 1);
    const r = bedrock.requests[0]!;
    t.is(decodeURIComponent(r.path), `/model/${MODEL_ID}/converse`);
    t.deepEqual(r.body, {
      system: [{ text: 'the rules' }],
      messages: [{ role: 'user', content: [{ text: 'the question' }] }],
      inferenceConfig: { maxTokens: 123, temperature: 0 },
    });
    t.regex(
      String(r.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLETEST\/\d{8}\/eu-west-1\/bedrock\/aws4_request/,
    );
  },
);

test.serial('Bedrock: a 500 is retried once, then an LlmError', async (t) => {
  bedrock.requests.length = 0;
  bedrock.script(() => ({ status: 500, message: 'model exploded' }));
  const llm = new BedrockLlm({ region: 'us-east-1', modelId: MODEL_ID, endpoint: bedrock.url });
  const err = await t.throwsAsync(llm.complete(req), { instanceOf: LlmError });
  t.regex(err!.message, /model exploded/);
  t.is(bedrock.requests.length, 2);
});

test.serial('Bedrock: a hung model times out', async (t) => {
  bedrock.script(() => ({ text: 'too late', delayMs: 5_000 }));
  const llm = new BedrockLlm({
    region: 'us-east-1',
    modelId: MODEL_ID,
    endpoint: bedrock.url,
    timeoutMs: 300,
  });
  const start = Date.now();
  await t.throwsAsync(llm.complete(req), { instanceOf: LlmError });
  t.true(Date.now() - start < 3_000, `took ${Date.now() - start} ms`);
});

test.serial(
  'OpenAI-compatible: chat completion with the system prompt first, max_tokens, temperature 0',
  async (t) => {
    openai.requests.length = 0;
    openai.script(() => ({ text: 'answer from vllm' }));
    const llm = new OpenAiCompatibleLlm({ baseURL: openai.url, model: 'meta-llama/Llama-3.1-8B-Instruct' });
    t.is(await llm.complete(req), 'answer from vllm');
    t.is(openai.requests.length, 1);
    const r = openai.requests[0]!;
    t.is(r.path, '/v1/chat/completions');
    t.like(r.body, {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [
        { role: 'system', content: 'the rules' },
        { role: 'user', content: 'the question' },
      ],
      max_tokens: 123,
      temperature: 0,
    });
  },
);

test.serial('OpenAI-compatible: errors and timeouts become LlmError', async (t) => {
  openai.script(() => ({ status: 500, message: 'CUDA out of memory' }));
  const llm = new OpenAiCompatibleLlm({ baseURL: openai.url, model: 'm', timeoutMs: 300 });
  t.regex((await t.throwsAsync(llm.complete(req), { instanceOf: LlmError }))!.message, /CUDA out of memory/);
  openai.script(() => ({ text: 'too late', delayMs: 5_000 }));
  const start = Date.now();
  await t.throwsAsync(llm.complete(req), { instanceOf: LlmError });
  t.true(Date.now() - start < 3_000, `took ${Date.now() - start} ms`);
  openai.script(() => ({ text: '' }));
  t.regex((await t.throwsAsync(llm.complete(req), { instanceOf: LlmError }))!.message, /no text/);
});

test('createLlm picks the adapter from LLM_PROVIDER', (t) => {
  t.is(createLlm(testConfig()), null);
  const b = createLlm(
    testConfig({ LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: MODEL_ID, AWS_REGION: 'us-east-1' }),
  );
  t.like(b, { provider: 'bedrock', model: MODEL_ID });
  const s = createLlm(
    testConfig({ LLM_PROVIDER: 'self-hosted', LLM_BASE_URL: 'http://x-llm:80/v1', LLM_MODEL: 'llama' }),
  );
  t.like(s, { provider: 'self-hosted', model: 'llama' });
});
