// Picks the LLM adapter from LLM_PROVIDER; config.ts has already checked that the provider's
// variables are present.
import type { ApiConfig } from '../config.js';
import { BedrockLlm } from './bedrock.js';
import type { Llm } from './llm.js';
import { OpenAiCompatibleLlm } from './openai-compatible.js';

export function createLlm(config: ApiConfig, timeoutMs?: number): Llm | null {
  switch (config.LLM_PROVIDER) {
    case 'none':
      return null;
    case 'bedrock':
      return new BedrockLlm({
        region: config.AWS_REGION!,
        modelId: config.BEDROCK_MODEL_ID!,
        ...(config.BEDROCK_ENDPOINT ? { endpoint: config.BEDROCK_ENDPOINT } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    case 'self-hosted':
      return new OpenAiCompatibleLlm({
        baseURL: config.LLM_BASE_URL!,
        model: config.LLM_MODEL!,
        ...(timeoutMs ? { timeoutMs } : {}),
      });
  }
}
