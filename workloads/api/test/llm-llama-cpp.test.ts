// The self-hosted LLM adapter against a real llama.cpp server: llama-cpp-python's OpenAI-compatible server,
// built from source by test/env, serving a tiny random-weight Llama that test/env/llm wrote as GGUF. What it
// proves: the wire format as llama.cpp speaks it (the model's own chat template applied to our system and
// user messages, greedy decoding at temperature 0, max_tokens honoured), its refusal of a prompt beyond the
// context window and a timeout, each as the LlmError the ask route falls back on. What the model says is
// nonsense by construction; answer quality, vLLM and GPU serving are not tested here.
import test from 'ava';
import { loadTestEnv } from '@sentiment/testenv';
import { LlmError, type LlmRequest } from '../src/llm/llm.js';
import { OpenAiCompatibleLlm } from '../src/llm/openai-compatible.js';

const env = loadTestEnv();
const llm = (timeoutMs?: number) =>
  new OpenAiCompatibleLlm({
    baseURL: env.LLAMA_CPP_URL,
    model: env.LLAMA_CPP_MODEL,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
const ask = (content: string, maxTokens = 48): LlmRequest => ({
  system: 'Answer from the statistics only.',
  messages: [{ role: 'user', content }],
  maxTokens,
});

// One model instance serves one request at a time: serial, so no test waits behind another's generation.
test.serial(
  'a chat completion: text of printable characters, at most max_tokens of them, the same every time',
  async (t) => {
    const first = await llm().complete(ask('How many tickets mention billing?'));
    // The tiny model's vocabulary is bytes, one token each; its output rows favour printable ASCII.
    t.regex(first, /^[\x20-\x7e]+$/);
    t.true(first.length <= 48, `${first.length} characters`);
    t.is(await llm().complete(ask('How many tickets mention billing?')), first, 'temperature 0 is greedy');
    t.not(
      await llm().complete(ask('Which tickets are the most negative?')),
      first,
      'another prompt, another answer',
    );
    t.true((await llm().complete(ask('How many tickets mention billing?', 5))).length <= 5);
  },
);

test.serial(
  "a prompt beyond the server's context window: an LlmError with the server's reason",
  async (t) => {
    // 40,000 bytes are 40,000 tokens of this vocabulary; the server's context is 32,768.
    const err = await t.throwsAsync(llm().complete(ask('x'.repeat(40_000))), { instanceOf: LlmError });
    t.regex(err!.message, /self-hosted LLM tiny-llama failed: .*(context|exceed)/i);
  },
);

test.serial('a server slower than the timeout: an LlmError, not a hang', async (t) => {
  // 700 tokens take this server most of a second (the ask route's max_tokens); the client gives it 100 ms.
  const started = Date.now();
  const err = await t.throwsAsync(llm(100).complete(ask('Write a long report.', 700)), {
    instanceOf: LlmError,
  });
  t.regex(err!.message, /timed out|timeout/i);
  // Two attempts (the client retries once), each cut at the timeout.
  t.true(Date.now() - started < 3_000, `${Date.now() - started} ms`);
});
