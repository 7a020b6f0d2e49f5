// Profiles are presets: resolveSpec() lays the user's spec over one of these, so any field the user
// writes wins. Sizes follow the original product's published cost table (demo ≈ its Fargate layout;
// ultra-low-cost puts everything on spot with one replica; production is on-demand with room to scale).
import type { Profile, SentimentPlatformSpec } from './types.js';

/** Images the workloads build; a spec may pin others. */
export const DEFAULT_IMAGES = {
  api: 'ghcr.io/sentiment-analytics/api:0.1.0',
  ml: 'ghcr.io/sentiment-analytics/ml:0.1.0',
  // 0.7.0 fixed CVE-2025-24357 (model files loaded with torch.load's pickle, unsafely); a test keeps it above.
  vllm: 'vllm/vllm-openai:v0.11.0',
  // A build, not the rolling server-cuda tag: that tag moves with every upstream build and has shipped
  // broken ones (a crash loop at b9282, github.com/noonghunna/club-3090/pull/188). b9851 (2026-06)
  // serves llama-server with the flags synth sets (-hf, --ctx-size, --n-gpu-layers).
  'llama-cpp': 'ghcr.io/ggml-org/llama.cpp:server-cuda-b9851',
  // pg_dump/pg_restore 17 (workloads/backup): the backups' CronJob and the first step of a restore.
  backup: 'ghcr.io/sentiment-analytics/backup:0.1.0',
  // Copies self-hosted LLM weights from the Hub into S3 and from S3 onto the pod's disk (workloads/model-cache).
  'model-cache': 'ghcr.io/sentiment-analytics/model-cache:0.1.0',
} as const;

export const DEFAULT_BEDROCK_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

/** What every profile shares; a profile below overrides parts of it. */
const BASE: SentimentPlatformSpec = {
  api: { image: DEFAULT_IMAGES.api, autoscaling: { enabled: true, targetCPU: 70 } },
  // The worker is the API image started in ingest-worker mode (see synth/worker.ts). Each pod works two
  // uploads at a time (WORKER_CONCURRENCY): four waiting per pod is a backlog of about two rounds.
  worker: { image: DEFAULT_IMAGES.api, autoscaling: { enabled: true, targetQueueLength: 4 } },
  ml: { image: DEFAULT_IMAGES.ml, autoscaling: { enabled: true, targetCPU: 70 } },
  llm: {
    provider: 'bedrock',
    bedrock: { modelId: DEFAULT_BEDROCK_MODEL, region: 'us-east-1' },
    // Only read when provider is self-hosted: an 8B model in fp16 fits one A10G; g5.2xlarge leaves host RAM to load it.
    selfHosted: {
      runtime: 'vllm',
      instanceType: 'g5.2xlarge',
      capacity: 'spot',
      replicas: 1,
      modelCacheSize: '40Gi',
    },
  },
  data: { retainOnDelete: false },
  ingress: { enabled: true, className: 'alb' },
};

const PRESETS: Record<Profile, SentimentPlatformSpec> = {
  demo: {
    api: {
      replicas: 1,
      capacity: 'fargate',
      autoscaling: { min: 1, max: 3 },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
    },
    worker: {
      replicas: 1,
      capacity: 'fargate',
      // A fixed pod: a Fargate pod takes about a minute to start, which a demo's upload should not wait for.
      autoscaling: { enabled: false, min: 1, max: 3 },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
    },
    ml: {
      replicas: 1,
      capacity: 'fargate',
      autoscaling: { min: 1, max: 2 },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    },
  },
  production: {
    api: {
      replicas: 3,
      capacity: 'on-demand',
      autoscaling: { min: 3, max: 20, targetCPU: 65 },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    },
    worker: {
      replicas: 2,
      capacity: 'on-demand',
      autoscaling: { min: 2, max: 10 },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    },
    ml: {
      replicas: 2,
      capacity: 'on-demand',
      autoscaling: { min: 2, max: 10, targetCPU: 65 },
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } },
    },
    llm: { selfHosted: { capacity: 'on-demand' } },
    data: { retainOnDelete: true },
  },
  'ultra-low-cost': {
    api: {
      replicas: 1,
      capacity: 'spot',
      autoscaling: { min: 1, max: 2 },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
    },
    worker: {
      replicas: 1,
      capacity: 'spot',
      // No worker pod while nothing waits (with KEDA; one pod elsewhere).
      autoscaling: { min: 0, max: 2 },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
    },
    ml: {
      replicas: 1,
      capacity: 'spot',
      autoscaling: { enabled: false, min: 1, max: 1 },
      resources: { requests: { cpu: '250m', memory: '768Mi' }, limits: { memory: '768Mi' } },
    },
  },
};

/** The preset of a profile (BASE merged with the profile's overrides). */
export function profilePreset(profile: Profile): SentimentPlatformSpec {
  return mergeSpec(BASE, PRESETS[profile]) as SentimentPlatformSpec;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects: `over`'s defined leaves win; neither input is mutated. */
export function mergeSpec<T>(base: T, over: unknown): T {
  if (!isPlain(base) || !isPlain(over)) return (over === undefined ? base : over) as T;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlain(v) && isPlain(out[k]) ? mergeSpec(out[k], v) : v;
  }
  return out as T;
}
