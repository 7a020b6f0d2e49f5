// The admission rules of SentimentPlatform, kept in one table so the CRD's CEL
// (x-kubernetes-validations) and the operator's own check (validateSpec, used by `render` and by
// synth before it builds anything) can never drift apart: each rule has its CEL text and the same
// predicate in TypeScript, and a test runs both against the real API server.
import { MAX_PLATFORM_NAME } from './names.js';
import type {
  LlmSpec,
  SelfHostedLlmSpec,
  SentimentPlatformSpec,
  ServedComponentSpec,
  WorkerSpec,
} from './types.js';

/** What a rule sees: the object as written (no profile applied: CEL cannot see presets either). */
export interface Admitted {
  metadata: { name: string };
  spec: SentimentPlatformSpec;
}

export interface Rule {
  /** Where in the schema the rule is attached, as property names from the root (e.g. ['spec', 'llm']). */
  at: readonly string[];
  rule: string;
  message: string;
  /** Field the API server blames, relative to `at`. */
  fieldPath?: string;
  /** The same predicate as `rule`, in TypeScript: true when the object breaks the rule. */
  violated(obj: Admitted): boolean;
}

function define<T>(
  r: Omit<Rule, 'violated'> & { select(obj: Admitted): T | undefined; ok(self: T): boolean },
): Rule {
  const { select, ok, ...rest } = r;
  return {
    ...rest,
    violated(obj) {
      const self = select(obj);
      return self !== undefined && !ok(self);
    },
  };
}

const G5_PATTERN = '^g5[.](x|2x|4x|8x|12x|16x|24x|48x)large$';
const DNS1035 = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

function autoscaledRules(component: 'api' | 'worker' | 'ml'): Rule[] {
  const at = ['spec', component];
  const select = (o: Admitted): ServedComponentSpec | WorkerSpec | undefined => o.spec[component];
  return [
    define({
      at: [...at, 'autoscaling'],
      rule: '!has(self.min) || !has(self.max) || self.min <= self.max',
      message: `${component}.autoscaling.min must not exceed ${component}.autoscaling.max`,
      fieldPath: '.min',
      select: (o) => select(o)?.autoscaling,
      ok: (a) => a.min === undefined || a.max === undefined || a.min <= a.max,
    }),
    define({
      at,
      rule:
        '!has(self.replicas) || !has(self.autoscaling) || !has(self.autoscaling.max) || ' +
        '(has(self.autoscaling.enabled) && !self.autoscaling.enabled) || self.replicas <= self.autoscaling.max',
      message: `${component}.replicas is above ${component}.autoscaling.max: the autoscaler would scale it back down; raise autoscaling.max or lower replicas`,
      fieldPath: '.replicas',
      select,
      ok: (c) =>
        c.replicas === undefined ||
        c.autoscaling?.max === undefined ||
        c.autoscaling.enabled === false ||
        c.replicas <= c.autoscaling.max,
    }),
  ];
}

export const RULES: readonly Rule[] = [
  define({
    at: ['spec', 'llm', 'selfHosted', 'autoscaling'],
    rule: '!has(self.min) || !has(self.max) || self.min <= self.max',
    message: 'llm.selfHosted.autoscaling.min must not exceed llm.selfHosted.autoscaling.max',
    fieldPath: '.min',
    select: (o) => o.spec.llm?.selfHosted?.autoscaling,
    ok: (a) => a.min === undefined || a.max === undefined || a.min <= a.max,
  }),
  define({
    at: [],
    rule: `size(self.metadata.name) <= ${MAX_PLATFORM_NAME} && self.metadata.name.matches('${DNS1035}')`,
    message: `metadata.name must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter) of at most ${MAX_PLATFORM_NAME} characters: it prefixes the names of the platform's Services`,
    select: (o) => o.metadata,
    ok: (m) => m.name.length <= MAX_PLATFORM_NAME && new RegExp(DNS1035).test(m.name),
  }),
  ...autoscaledRules('api'),
  ...autoscaledRules('worker'),
  ...autoscaledRules('ml'),
  define({
    at: ['spec', 'llm'],
    rule: "!has(self.provider) || self.provider != 'bedrock' || (has(self.bedrock) && has(self.bedrock.modelId))",
    message:
      'llm.provider bedrock needs llm.bedrock.modelId (Bedrock grants access per model), e.g. anthropic.claude-3-haiku-20240307-v1:0',
    fieldPath: '.provider',
    select: (o): LlmSpec | undefined => o.spec.llm,
    ok: (l) => l.provider !== 'bedrock' || l.bedrock?.modelId !== undefined,
  }),
  define({
    at: ['spec', 'llm'],
    rule: "!has(self.provider) || self.provider != 'self-hosted' || (has(self.selfHosted) && has(self.selfHosted.model))",
    message:
      'llm.provider self-hosted needs llm.selfHosted.model (a Hugging Face model id for vllm, a GGUF repo for llama-cpp), e.g. meta-llama/Llama-3.1-8B-Instruct',
    fieldPath: '.provider',
    select: (o): LlmSpec | undefined => o.spec.llm,
    ok: (l) => l.provider !== 'self-hosted' || l.selfHosted?.model !== undefined,
  }),
  define({
    at: ['spec', 'llm', 'selfHosted'],
    rule: "!has(self.capacity) || self.capacity != 'fargate'",
    message:
      'self-hosted LLM needs GPU nodes; Fargate has no GPUs: set llm.selfHosted.capacity to spot or on-demand',
    fieldPath: '.capacity',
    select: (o): SelfHostedLlmSpec | undefined => o.spec.llm?.selfHosted,
    // The TypeScript type already excludes fargate; YAML input is not typed, so compare as a string.
    ok: (s) => (s.capacity as string | undefined) !== 'fargate',
  }),
  define({
    at: ['spec', 'llm', 'selfHosted'],
    rule: `!has(self.instanceType) || self.instanceType.matches('${G5_PATTERN}')`,
    message:
      'llm.selfHosted.instanceType must be a g5 GPU instance type (g5.xlarge … g5.48xlarge): the GPU node group is g5 (NVIDIA A10G)',
    fieldPath: '.instanceType',
    select: (o): SelfHostedLlmSpec | undefined => o.spec.llm?.selfHosted,
    ok: (s) => s.instanceType === undefined || new RegExp(G5_PATTERN).test(s.instanceType),
  }),
  define({
    at: ['spec', 'data', 'opensearch'],
    rule: '!has(self.endpoint) || !has(self.secretRef)',
    message:
      'set either data.opensearch.endpoint (a URL without credentials) or data.opensearch.secretRef (a Secret holding the URL with credentials), not both',
    fieldPath: '.endpoint',
    select: (o) => o.spec.data?.opensearch,
    ok: (os) => os.endpoint === undefined || os.secretRef === undefined,
  }),
  define({
    at: ['spec', 'ingress'],
    rule: '!has(self.tls) || !has(self.tls.certificateArn) || has(self.host)',
    message: 'ingress.tls.certificateArn needs ingress.host: the certificate is issued for a host name',
    fieldPath: '.tls.certificateArn',
    select: (o) => o.spec.ingress,
    ok: (i) => i.tls?.certificateArn === undefined || i.host !== undefined,
  }),
  define({
    at: ['spec', 'ingress'],
    rule: '!has(self.enabled) || !self.enabled || has(self.host) || (has(self.tls) && has(self.tls.enabled) && !self.tls.enabled)',
    message:
      'ingress.enabled is true but ingress.host is unset: the API is served over HTTPS, which needs a host name (the certificate and the shared load balancer both go by it); set ingress.host, or ingress.tls.enabled: false for plain HTTP',
    fieldPath: '.host',
    select: (o) => o.spec.ingress,
    ok: (i) => i.enabled !== true || i.host !== undefined || i.tls?.enabled === false,
  }),
];

/** Messages of the admission rules the object breaks (empty when the API server would accept it). */
export function admissionProblems(obj: Admitted): string[] {
  return RULES.filter((r) => r.violated(obj)).map((r) => r.message);
}
