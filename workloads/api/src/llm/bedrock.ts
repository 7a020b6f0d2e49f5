// Bedrock through the Converse API (one request shape for every model family). Credentials come from
// the SDK's default provider chain: IRSA's web identity token in EKS, env or profile elsewhere.
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { DEFAULT_LLM_TIMEOUT_MS, LlmError, type Llm, type LlmRequest } from './llm.js';

export interface BedrockOptions {
  region: string;
  modelId: string;
  /** Overrides the regional endpoint (VPC endpoint, or a local stand-in in tests). */
  endpoint?: string;
  timeoutMs?: number;
}

export class BedrockLlm implements Llm {
  readonly provider = 'bedrock';
  readonly model: string;
  private readonly client: BedrockRuntimeClient;
  private readonly timeoutMs: number;

  constructor(o: BedrockOptions) {
    this.model = o.modelId;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
    this.client = new BedrockRuntimeClient({
      region: o.region,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      maxAttempts: 2,
      // The client's default handler is HTTP/2; these are its options (the SDK's default plus a timeout).
      requestHandler: { requestTimeout: this.timeoutMs, disableConcurrentStreams: true },
    });
  }

  async complete(req: LlmRequest): Promise<string> {
    try {
      const out = await this.client.send(
        new ConverseCommand({
          modelId: this.model,
          system: [{ text: req.system }],
          messages: req.messages.map((m) => ({ role: m.role, content: [{ text: m.content }] })),
          inferenceConfig: { maxTokens: req.maxTokens, temperature: 0 },
        }),
        // The handler's timeout is per attempt; this bounds the whole call including the retry.
        { abortSignal: AbortSignal.timeout(this.timeoutMs * 2) },
      );
      const text = (out.output?.message?.content ?? [])
        .map((c) => c.text ?? '')
        .join('')
        .trim();
      if (!text) throw new LlmError(`bedrock returned no text (stopReason ${out.stopReason ?? 'unknown'})`);
      return text;
    } catch (err) {
      if (err instanceof LlmError) throw err;
      throw new LlmError(`bedrock ${this.model} failed: ${(err as Error).name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
