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
