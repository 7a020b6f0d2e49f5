// The answering model behind /v1/ask: Bedrock (Converse API) or a self-hosted OpenAI-compatible
// server. Retrieved ticket text goes in user-role content only, fenced as data (see ask/).

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  system: string;
  messages: LlmMessage[];
  maxTokens: number;
}

export interface Llm {
  readonly provider: 'bedrock' | 'self-hosted';
  readonly model: string;
  complete(req: LlmRequest): Promise<string>;
}

/** Any failure to get an answer (timeout, HTTP error, empty reply); /v1/ask falls back to its template. */
export class LlmError extends Error {}

/** Bounds every LLM call; a stuck model must not hold a request open (the client retries at most once). */
export const DEFAULT_LLM_TIMEOUT_MS = 30_000;
