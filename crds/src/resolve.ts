// resolveSpec: the user's spec laid over its profile's preset, with every field filled in. Pure.
// Synth, the cost model and the reconcile loop consume only its result, so a profile means the same
// thing everywhere.
import { DEFAULT_BACKUP } from './backup.js';
import { G5_INSTANCE_TYPES, sizeLlm } from './llm-sizing.js';
import { DATA_SECRET_KEYS } from './names.js';
import { DEFAULT_IMAGES, mergeSpec, profilePreset } from './profiles.js';
import type {
  ResolvedSelfHosted,
  LlmAutoscalingSpec,
  ComponentSpec,
  DataServiceSpec,
  ResolvedComponent,
  ResolvedData,
  ResolvedIngress,
  ResolvedLlm,
  ResolvedResources,
  ResolvedServed,
  ResolvedSpec,
  ResolvedWorker,
  SecretKeyRef,
  SentimentPlatformSpec,
  ServedComponentSpec,
  WorkerSpec,
} from './types.js';

/**
 * LLM autoscaling when a spec turns it on without more: one server kept, a second when requests queue up
 * (four waiting in one), and, with min 0, the last one gone after half an hour without a question.
 */
export const DEFAULT_LLM_AUTOSCALING = {
  enabled: false,
  min: 1,
  max: 2,
  targetWaitingRequests: 4,
  idleMinutes: 30,
} as const;

/** GPUs of a g5 instance type: 1 up to 16xlarge, 4 on 12x/24xlarge, 8 on 48xlarge. */
export function gpusForInstanceType(instanceType: string): number {
  // Admission allows only g5 sizes; an unchecked spec still gets a node's minimum.
  return G5_INSTANCE_TYPES[instanceType]?.gpus ?? 1;
}

export function resolveSpec(spec: SentimentPlatformSpec = {}): ResolvedSpec {
  const profile = spec.profile ?? 'demo';
  const merged = mergeSpec(profilePreset(profile), spec);
  return {
    profile,
    hibernate: spec.hibernate ?? false,
    api: served(merged.api),
    worker: worker(merged.worker),
    ml: served(merged.ml),
    llm: llm(merged, spec),
    data: data(merged),
    ingress: {
      enabled: merged.ingress?.enabled ?? true,
      className: merged.ingress?.className ?? 'alb',
      ...(merged.ingress?.host !== undefined && { host: merged.ingress.host }),
      tls: {
        enabled: merged.ingress?.tls?.enabled ?? true,
        ...(merged.ingress?.tls?.certificateArn !== undefined && {
          certificateArn: merged.ingress.tls.certificateArn,
        }),
      },
    },
    serviceAccount: { ...merged.serviceAccount },
    ...(spec.backup && {
      backup: {
        schedule: spec.backup.schedule ?? DEFAULT_BACKUP.schedule,
        timeZone: spec.backup.timeZone ?? DEFAULT_BACKUP.timeZone,
        retain: spec.backup.retain ?? DEFAULT_BACKUP.retain,
        suspend: spec.backup.suspend ?? false,
        ...(spec.backup.bucket !== undefined && { bucket: spec.backup.bucket }),
      },
    }),
    ...(spec.restore && { restore: { ...spec.restore } }),
  };
}

/**
 * How the API is exposed, decided once for synth, the cost model and status: `https` on the cluster's
 * shared ALB (it routes by host, and the certificate is picked by host, so it needs one); `http` (the
 * explicit opt-out) on an ALB of its own, since the shared one redirects every host to HTTPS; `none`
 * when there is no Ingress, or HTTPS is asked for without a host to serve it on.
 */
export type IngressMode = 'https' | 'http' | 'none';
export function ingressMode(ingress: ResolvedIngress): IngressMode {
  if (!ingress.enabled) return 'none';
  if (!ingress.tls.enabled) return 'http';
  return ingress.host !== undefined ? 'https' : 'none';
}

// Presets fill every field but selfHosted.model, which the admission rules demand; so a missing value
// means the caller skipped checkPlatform() (validate.ts) or a preset is incomplete.
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(
      `SentimentPlatform spec resolves without ${what}: validate it with checkPlatform() first`,
    );
  return value;
}

function component(c: ComponentSpec | undefined): ResolvedComponent {
  const requests = c?.resources?.requests;
  const limits = c?.resources?.limits;
  const resources: ResolvedResources = {
    requests: {
      cpu: String(need(requests?.cpu, 'cpu request')),
      memory: need(requests?.memory, 'memory request'),
    },
    limits: {
      ...(limits?.cpu !== undefined && { cpu: String(limits.cpu) }),
      ...(limits?.memory !== undefined && { memory: limits.memory }),
    },
  };
  return {
    replicas: need(c?.replicas, 'replicas'),
    capacity: need(c?.capacity, 'capacity'),
    resources,
    image: need(c?.image, 'image'),
  };
}

/** The bounds every autoscaled component has: on unless said otherwise, from its replicas up to max. */
function bounds(
  a: { enabled?: boolean; min?: number; max?: number } | undefined,
  replicas: number,
  maxPath: string,
) {
  return { enabled: a?.enabled ?? true, min: a?.min ?? replicas, max: need(a?.max, maxPath) };
}

function worker(c: WorkerSpec | undefined): ResolvedWorker {
  const base = component(c);
  const a = c?.autoscaling;
  return {
    ...base,
    autoscaling: {
      ...bounds(a, base.replicas, 'worker.autoscaling.max'),
      targetQueueLength: need(a?.targetQueueLength, 'worker.autoscaling.targetQueueLength'),
    },
  };
}

function served(c: ServedComponentSpec | undefined): ResolvedServed {
  const base = component(c);
  const a = c?.autoscaling;
  return {
    ...base,
    autoscaling: { ...bounds(a, base.replicas, 'autoscaling.max'), targetCPU: a?.targetCPU ?? 70 },
  };
}

function llm(merged: SentimentPlatformSpec, user: SentimentPlatformSpec): ResolvedLlm {
  const provider = merged.llm?.provider ?? 'bedrock';
  if (provider === 'none') return { provider };
  if (provider === 'bedrock') {
    const b = merged.llm?.bedrock;
    return {
      provider,
      bedrock: { modelId: need(b?.modelId, 'bedrock.modelId'), region: need(b?.region, 'bedrock.region') },
    };
  }
  const s = merged.llm?.selfHosted;
  const runtime = s?.runtime ?? 'vllm';
  const instanceType = need(s?.instanceType, 'selfHosted.instanceType');
  return {
    provider,
    selfHosted: {
      runtime,
      // The CRD requires a model when the user picks self-hosted; no preset guesses one.
      model: need(user.llm?.selfHosted?.model ?? s?.model, 'selfHosted.model'),
      instanceType,
      capacity: need(s?.capacity, 'selfHosted.capacity'),
      onDemandFallback: s?.onDemandFallback ?? true,
      replicas: need(s?.replicas, 'selfHosted.replicas'),
      modelCacheSize: need(s?.modelCacheSize, 'selfHosted.modelCacheSize'),
      // The default image follows the runtime unless the user pinned one.
      image: user.llm?.selfHosted?.image ?? DEFAULT_IMAGES[runtime],
      gpus: gpusForInstanceType(instanceType),
      ...(s?.parameters !== undefined && { parameters: s.parameters }),
      extraArgs: s?.extraArgs ?? [],
      autoscaling: llmAutoscaling(s?.autoscaling),
    },
  };
}

/**
 * How many LLM servers run: the autoscaler's range while it is enabled, else the fixed replicas. The cost
 * estimate prices the floor, the tenant's quota admits the ceiling, status counts readiness against the floor.
 */
export function llmReplicaRange(s: ResolvedSelfHosted): { min: number; max: number } {
  return s.autoscaling.enabled
    ? { min: s.autoscaling.min, max: s.autoscaling.max }
    : { min: s.replicas, max: s.replicas };
}

/** The defaults under what the spec sets; a min above the default max raises max with it. */
function llmAutoscaling(a: LlmAutoscalingSpec | undefined): Required<LlmAutoscalingSpec> {
  const min = a?.min ?? DEFAULT_LLM_AUTOSCALING.min;
  return {
    ...DEFAULT_LLM_AUTOSCALING,
    ...a,
    min,
    max: a?.max ?? Math.max(DEFAULT_LLM_AUTOSCALING.max, min),
  };
}

function ref(svc: DataServiceSpec | undefined, defaultKey: string): { secretRef?: Required<SecretKeyRef> } {
  return svc?.secretRef
    ? { secretRef: { name: svc.secretRef.name, key: svc.secretRef.key ?? defaultKey } }
    : {};
}

function data(merged: SentimentPlatformSpec): ResolvedData {
  const d = merged.data;
  return {
    postgres: ref(d?.postgres, DATA_SECRET_KEYS.postgres),
    redis: ref(d?.redis, DATA_SECRET_KEYS.redis),
    opensearch: {
      ...(d?.opensearch?.endpoint !== undefined && { endpoint: d.opensearch.endpoint }),
      ...ref(d?.opensearch, DATA_SECRET_KEYS.opensearch),
    },
    retainOnDelete: d?.retainOnDelete ?? false,
  };
}

/**
 * What runs while hibernated: every workload at zero replicas and without an autoscaler (an HPA cannot
 * hold zero), everything else as resolved. Synth, the cost model and status read it; tenancy keeps the
 * awake spec, so a tenant's connection limit and data stay as they are while it sleeps.
 */
export function scaledToZero(spec: ResolvedSpec): ResolvedSpec {
  return {
    ...spec,
    api: { ...spec.api, replicas: 0, autoscaling: { ...spec.api.autoscaling, enabled: false } },
    worker: { ...spec.worker, replicas: 0, autoscaling: { ...spec.worker.autoscaling, enabled: false } },
    ml: { ...spec.ml, replicas: 0, autoscaling: { ...spec.ml.autoscaling, enabled: false } },
    llm:
      spec.llm.provider === 'self-hosted'
        ? {
            ...spec.llm,
            selfHosted: {
              ...spec.llm.selfHosted,
              replicas: 0,
              autoscaling: { ...spec.llm.selfHosted.autoscaling, enabled: false },
            },
          }
        : spec.llm,
  };
}

/** The spec the workloads run by: scaled to zero while hibernated, as resolved otherwise. */
export function runningSpec(spec: ResolvedSpec): ResolvedSpec {
  return spec.hibernate ? scaledToZero(spec) : spec;
}

/** One line naming the LLM in use, shown by `kubectl get sp` (status.llm). */
export function llmSummary(llm: ResolvedLlm): string {
  if (llm.provider === 'bedrock') return `bedrock:${llm.bedrock.modelId}`;
  if (llm.provider === 'self-hosted') {
    // The context the sizing gave the server (its flags in synth), so `kubectl get` shows what was chosen.
    const sizing = sizeLlm(llm.selfHosted);
    const context = sizing.verdict === 'fits' ? ` (context ${sizing.maxContext})` : '';
    return `${llm.selfHosted.runtime}:${llm.selfHosted.model}${context}`;
  }
  return 'none';
}
