// Specs the admission rules must reject, with the message the user must see. Shared by the pure
// validator test and the test against the real API server, so both enforce the same list.
import type { SentimentPlatformSpec } from '../src/index.js';

export interface InvalidCase {
  title: string;
  name?: string;
  /** YAML-shaped input: not typed as SentimentPlatformSpec because users can write anything. */
  spec: unknown;
  message: string;
}

const selfHosted = (s: Record<string, unknown>): SentimentPlatformSpec =>
  ({
    llm: { provider: 'self-hosted', selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct', ...s } },
  }) as SentimentPlatformSpec;

export const INVALID: InvalidCase[] = [
  {
    title: 'an unknown profile',
    spec: { profile: 'prod' },
    message:
      'spec.profile: Unsupported value: "prod": supported values: "demo", "production", "ultra-low-cost"',
  },
  {
    title: 'negative replicas',
    spec: { worker: { replicas: -1 } },
    message: 'spec.worker.replicas in body should be greater than or equal to 0',
  },
  {
    title: 'replicas written as text',
    spec: { api: { replicas: 'two' } },
    message: 'spec.api.replicas in body must be of type integer',
  },
  {
    title: 'a secretRef without a name',
    spec: { data: { postgres: { secretRef: { key: 'url' } } } },
    message: 'spec.data.postgres.secretRef.name: Required value',
  },
  {
    title: 'a malformed Bedrock region',
    spec: { llm: { bedrock: { region: 'US East' } } },
    message: "spec.llm.bedrock.region in body should match '^[a-z]{2}(-[a-z]+)+-[0-9]$'",
  },
  {
    title: 'self-hosted LLM on Fargate',
    spec: selfHosted({ capacity: 'fargate' }),
    message:
      'self-hosted LLM needs GPU nodes; Fargate has no GPUs: set llm.selfHosted.capacity to spot or on-demand',
  },
  {
    title: 'self-hosted LLM autoscaling min above max',
    spec: selfHosted({ autoscaling: { enabled: true, min: 3, max: 2 } }),
    message: 'llm.selfHosted.autoscaling.min must not exceed llm.selfHosted.autoscaling.max',
  },
  {
    title: 'self-hosted LLM autoscaling past 16 servers',
    spec: selfHosted({ autoscaling: { max: 17 } }),
    message: 'spec.llm.selfHosted.autoscaling.max in body should be less than or equal to 16',
  },
  {
    title: 'api autoscaling min above max',
    spec: { api: { autoscaling: { min: 5, max: 2 } } },
    message: 'api.autoscaling.min must not exceed api.autoscaling.max',
  },
  {
    title: 'worker autoscaling min above max',
    spec: { worker: { autoscaling: { min: 3, max: 2 } } },
    message: 'worker.autoscaling.min must not exceed worker.autoscaling.max',
  },
  {
    title: 'worker replicas above its autoscaling max',
    spec: { worker: { replicas: 4, autoscaling: { max: 2 } } },
    message:
      'worker.replicas is above worker.autoscaling.max: the autoscaler would scale it back down; raise autoscaling.max or lower replicas',
  },
  {
    title: 'a worker queue target of zero',
    spec: { worker: { autoscaling: { targetQueueLength: 0 } } },
    message: 'spec.worker.autoscaling.targetQueueLength in body should be greater than or equal to 1',
  },
  {
    title: 'ml autoscaling min above max',
    spec: { ml: { autoscaling: { min: 4, max: 3 } } },
    message: 'ml.autoscaling.min must not exceed ml.autoscaling.max',
  },
  {
    title: 'api replicas above autoscaling max',
    spec: { api: { replicas: 8, autoscaling: { max: 4 } } },
    message: 'api.replicas is above api.autoscaling.max',
  },
  {
    title: 'bedrock without modelId',
    spec: { llm: { provider: 'bedrock', bedrock: { region: 'us-east-1' } } },
    message: 'llm.provider bedrock needs llm.bedrock.modelId',
  },
  {
    title: 'self-hosted without a model',
    spec: { llm: { provider: 'self-hosted', selfHosted: { runtime: 'vllm' } } },
    message: 'llm.provider self-hosted needs llm.selfHosted.model',
  },
  {
    title: 'a GPU instance type outside the g5 node group',
    spec: selfHosted({ instanceType: 'p4d.24xlarge' }),
    message: 'llm.selfHosted.instanceType must be a g5 GPU instance type',
  },
  {
    title: 'OpenSearch endpoint and secretRef together',
    spec: { data: { opensearch: { endpoint: 'https://search.example.com', secretRef: { name: 'os' } } } },
    message: 'set either data.opensearch.endpoint',
  },
  {
    title: 'a certificate without a host',
    spec: { ingress: { tls: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' } } },
    message: 'ingress.tls.certificateArn needs ingress.host',
  },
  {
    title: 'an Ingress asked for without a host while HTTPS is on',
    spec: { ingress: { enabled: true } },
    message: 'ingress.enabled is true but ingress.host is unset',
  },
  {
    title: 'an Ingress asked for without a host, TLS enabled explicitly',
    spec: { ingress: { enabled: true, tls: { enabled: true } } },
    message: 'ingress.enabled is true but ingress.host is unset',
  },
  {
    title: 'a platform name too long to prefix Service names',
    name: 'a-platform-name-that-is-far-too-long-for-services',
    spec: {},
    message: 'metadata.name must be a DNS-1035 label',
  },
];

// Specs the API server admits (CEL has no model table, nor the profile's instance type) but the
// operator's validation refuses after resolving them: the LLM sizing.
export const REFUSED_AFTER_RESOLUTION: InvalidCase[] = [
  {
    title: '70B model on a single-GPU g5.xlarge',
    spec: selfHosted({ model: 'meta-llama/Llama-2-70b-chat-hf', instanceType: 'g5.xlarge' }),
    message:
      'llm.selfHosted.model meta-llama/Llama-2-70b-chat-hf does not fit g5.xlarge: its weights need ~138 GB (69.0B parameters in bf16), more than the 20.7 GB the server may use of its 1 × A10G',
  },
  {
    title: '70B model on the default (single-GPU) instance type',
    spec: selfHosted({ model: 'meta-llama/Llama-3.1-70B-Instruct' }),
    message: 'llm.selfHosted.model meta-llama/Llama-3.1-70B-Instruct does not fit g5.2xlarge',
  },
  {
    title: '405B in bf16 on the eight GPUs of g5.48xlarge',
    spec: selfHosted({ model: 'meta-llama/Llama-3.1-405B-Instruct', instanceType: 'g5.48xlarge' }),
    message:
      'its weights need ~812 GB (405.9B parameters in bf16), more than the 165 GB the server may use of its 8 × A10G (193 GB at 90%',
  },
  {
    title: '405B in 4-bit on g5.48xlarge: ~228 GB of weights',
    spec: selfHosted({
      model: 'hugging-quants/Meta-Llama-3.1-405B-Instruct-AWQ-INT4',
      instanceType: 'g5.48xlarge',
    }),
    message: 'its weights need ~228 GB (405.9B parameters in 4-bit (AWQ/GPTQ))',
  },
  {
    title: 'an unknown model whose explicit parameter count does not fit',
    spec: selfHosted({ model: 'acme/Custom-Model', parameters: 30_000_000_000 }),
    message: 'llm.selfHosted.model acme/Custom-Model does not fit g5.2xlarge: its weights need ~60.0 GB',
  },
];
