// PLACEHOLDER (replaced by the ask work): picks the LLM adapter from LLM_PROVIDER.
import type { ApiConfig } from '../config.js';
import type { Llm } from './llm.js';

export function createLlm(config: ApiConfig): Llm | null {
  if (config.LLM_PROVIDER === 'none') return null;
  throw new Error(`LLM provider ${config.LLM_PROVIDER} not built yet`);
}
