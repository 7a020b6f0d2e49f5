// A self-hosted model (vLLM or llama.cpp server) through its OpenAI-compatible chat completions API.
import OpenAI from 'openai';
import { DEFAULT_LLM_TIMEOUT_MS, LlmError, type Llm, type LlmRequest } from './llm.js';

export interface OpenAiCompatibleOptions {
  /** e.g. http://<platform>-llm:80/v1 */
  baseURL: string;
  model: string;
  timeoutMs?: number;
}

export class OpenAiCompatibleLlm implements Llm {
  readonly provider = 'self-hosted';
  readonly model: string;
  private readonly client: OpenAI;

  constructor(o: OpenAiCompatibleOptions) {
    this.model = o.model;
    this.client = new OpenAI({
      baseURL: o.baseURL,
      // The in-cluster server takes no key (only the api pods may reach it, by NetworkPolicy), but the
      // SDK refuses to start without one.
      apiKey: 'unused',
      timeout: o.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS,
      maxRetries: 1,
    });
  }

  async complete(req: LlmRequest): Promise<string> {
    try {
      const out = await this.client.chat.completions.create({
        model: this.model,
        messages: [{ role: 'system', content: req.system }, ...req.messages],
        max_tokens: req.maxTokens,
        temperature: 0,
      });
      const choice = out.choices[0];
      const text = choice?.message.content?.trim();
      if (!text)
        throw new LlmError(
          `self-hosted LLM returned no text (finish_reason ${choice?.finish_reason ?? 'none'})`,
        );
      return text;
    } catch (err) {
      if (err instanceof LlmError) throw err;
      throw new LlmError(
        `self-hosted LLM ${this.model} failed: ${(err as Error).name}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
