// The optional self-hosted LLM: an OpenAI-compatible server (vLLM or llama.cpp) on the g5 GPU node
// group, loading its model from the pod's volume: copied there from the installation's S3 model cache
// (model-cache.ts) when there is one, else downloaded from the Hub by the server at every start.
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  G5_INSTANCE_TYPES,
  GPU_MEMORY_UTILIZATION,
  GPU_RESOURCE,
  GPU_TAINT,
  HF_TOKEN_KEY,
  LABELS,
  NODE_POOLS,
  componentName,
  llmSecretName,
  sizeLlm,
  type LlmRuntime,
  type ResolvedSelfHosted,
} from '@sentiment/crds';
import type { SynthContext, SynthOptions } from './context.js';
import { objectLabels, scrapedSeries } from './labels.js';
import {
  MODEL_VOLUME_PATH,
  SEED_REQUESTS,
  cachedModelArgs,
  llmServiceAccount,
  modelFetchContainer,
  modelSeedJob,
  type CachedModel,
} from './model-cache.js';
import { platformDeployment, platformService, restrictedSecurityContext } from './pod.js';
import { parseQuantity } from './quantity.js';
import { disruptionBudget } from './served.js';
import { KEDA_API_VERSION } from './worker-scaling.js';

/** Where each server listens and answers its health check (vLLM's OpenAI server, llama.cpp's llama-server). */
export const LLM_PORTS: Record<LlmRuntime, number> = { vllm: 8000, 'llama-cpp': 8080 };
const HEALTH_PATH = '/health';
/** The questions trigger's target: high enough that it never asks for a second server. */
const QUESTIONS_PER_SERVER = 1_000_000;
/** Seconds an LLM pod keeps serving after it is taken out of its Service's endpoints. */
const PRE_STOP_SECONDS = 10;
/** Within the two minutes EC2 gives a spot instance from its interruption notice, with room for the drain. */
export const SPOT_GRACE_SECONDS = 90;

function serverArgs(s: ResolvedSelfHosted, port: number, cached: CachedModel | undefined): string[] {
  // Both servers default to the model's full context (128k tokens for Llama 3.1), whose KV cache does not
  // fit an A10G next to the weights: vLLM refuses to start, llama.cpp runs out of memory. So the context
  // is what the sizing says fits; unsized models keep the server's default (validation warned).
  const sizing = sizeLlm(s);
  const context = sizing.verdict === 'fits' ? sizing.maxContext : undefined;
  if (s.runtime === 'vllm') {
    // The image's entrypoint is the OpenAI API server; tensor parallelism spans every GPU of the node.
    return [
      ...(cached ? cachedModelArgs(cached) : ['--model', s.model, '--download-dir', MODEL_VOLUME_PATH]),
      '--port',
      String(port),
      '--tensor-parallel-size',
      String(s.gpus),
      '--gpu-memory-utilization',
      String(GPU_MEMORY_UTILIZATION),
      ...(context !== undefined ? ['--max-model-len', String(context)] : []),
      // Last, so that a flag the user repeats wins (both servers keep the last occurrence).
      ...s.extraArgs,
    ];
  }
  // llama-server offloads every layer to the GPU(s); without the cache it fetches the GGUF from Hugging Face
  // into LLAMA_CACHE.
  return [
    '--host',
    '0.0.0.0',
    '--port',
    String(port),
    '--n-gpu-layers',
    '999',
    // /metrics (Prometheus): what the tenant's ServiceMonitor scrapes and the autoscaler reads.
    '--metrics',
    ...(cached ? cachedModelArgs(cached) : ['-hf', s.model]),
    ...(context !== undefined ? ['--ctx-size', String(context)] : []),
    ...s.extraArgs,
  ];
}

/** The servers' gauge of requests queued for a free slot: vLLM's, and llama-server's (with --metrics). */
export const LLM_WAITING_METRIC: Record<LlmRuntime, string> = {
  vllm: 'vllm:num_requests_waiting',
  'llama-cpp': 'llamacpp:requests_deferred',
};

/**
 * Two Prometheus triggers, of which KEDA takes the larger count: questions asked to the tenant's API in the
 * last idleMinutes keep (and from zero, start) one server, as a server at zero has no queue to read; the
 * requests waiting in the servers add one per targetWaitingRequests. The API's ask counter is what the
 * tenant's ServiceMonitor scrapes (monitoring.ts), as are the servers' metrics.
 */
function llmScaledObject(
  ctx: SynthContext,
  target: string,
  s: ResolvedSelfHosted,
  serverAddress: string,
): void {
  const a = s.autoscaling;
  const of = (component: 'api' | 'llm') => scrapedSeries(ctx.namespace, ctx.name, component);
  new ApiObject(ctx.chart, 'llm-scaled-object', {
    apiVersion: KEDA_API_VERSION,
    kind: 'ScaledObject',
    metadata: { name: componentName(ctx.name, 'llm'), labels: objectLabels(ctx.name, 'llm') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicaCount: a.min,
      maxReplicaCount: a.max,
      // Seconds after the last active trigger before scaling to zero (min 0 only).
      cooldownPeriod: a.idleMinutes * 60,
      triggers: [
        {
          type: 'prometheus',
          name: 'questions',
          // KEDA takes trigger metadata as strings only.
          metadata: {
            serverAddress,
            query: `sum(increase(sentiment_api_ask_total{${of('api')}}[${a.idleMinutes}m]))`,
            // Never more than one server from this trigger: any question activates it.
            threshold: String(QUESTIONS_PER_SERVER),
            activationThreshold: '0',
          },
        },
        {
          type: 'prometheus',
          name: 'waiting',
          metadata: {
            serverAddress,
            query: `sum(${LLM_WAITING_METRIC[s.runtime]}{${of('llm')}})`,
            threshold: String(a.targetWaitingRequests),
            activationThreshold: '0',
          },
        },
      ],
    },
  });
}

/** What one LLM pod requests, for the tenant's quota (cores, bytes). */
export interface LlmFootprint {
  cpu: number;
  memory: number;
  gpus: number;
  /** The model cache's seed Job pod, when there is one (counted once: one Job per model). */
  seed?: { cpu: number; memory: number };
}

export function llm(
  ctx: SynthContext,
  options: Pick<SynthOptions, 'keda' | 'prometheusUrl' | 'defaultImages'> = {},
  /** The model in the installation's cache (model-cache.ts cachedModel), when it is served from there. */
  cached?: CachedModel,
): LlmFootprint | undefined {
  if (ctx.spec.llm.provider !== 'self-hosted') return undefined;
  const s = ctx.spec.llm.selfHosted;
  const a = s.autoscaling;
  // KEDA scales on Prometheus' view of the servers and the API; without either, a fixed count.
  const keda = a.enabled && options.keda && options.prometheusUrl ? options.prometheusUrl : undefined;
  const port = LLM_PORTS[s.runtime];
  const node = G5_INSTANCE_TYPES[s.instanceType];
  // The admission rules allow only g5 sizes, all listed above.
  if (!node) throw new Error(`no g5 size ${s.instanceType}`);
  // Leave the node's daemons and kubelet room: half the vCPUs, 60% of memory requested, 80% the cap.
  const memRequestGi = Math.floor(node.memGiB * 0.6);
  const cacheBytes = parseQuantity(s.modelCacheSize);
  const cache = kplus.Volume.fromEmptyDir(ctx.chart, 'llm-cache', 'model-cache', {
    sizeLimit: Size.mebibytes(Math.ceil(cacheBytes / 2 ** 20)),
  });
  // Shared memory for the server's worker processes (NCCL between GPUs): tmpfs, counted as pod memory.
  const shm = kplus.Volume.fromEmptyDir(ctx.chart, 'llm-shm', 'shm', {
    medium: kplus.EmptyDirMedium.MEMORY,
    sizeLimit: Size.gibibytes(2 * s.gpus),
  });
  const probe = (failureThreshold: number, periodSeconds: number) =>
    kplus.Probe.fromHttpGet(HEALTH_PATH, {
      port,
      failureThreshold,
      periodSeconds: Duration.seconds(periodSeconds),
      timeoutSeconds: Duration.seconds(5),
    });
  const deployment = platformDeployment(ctx, {
    component: 'llm',
    replicas: a.enabled ? Math.max(1, a.min) : s.replicas,
    capacity: s.capacity,
    onDemandFallback: s.onDemandFallback,
    nodeLabels: { [LABELS.nodePool]: NODE_POOLS.gpu, 'node.kubernetes.io/instance-type': s.instanceType },
    // One GPU node per pod: surging would need a spare GPU node, so replace in place instead.
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.absolute(0),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(1),
    }),
    // A spot reclaim gives the node two minutes from the notice, and the drain starts after it: the pod
    // leaves the Service first (preStop), then the server has the rest to finish the answers in flight.
    terminationGracePeriod: Duration.seconds(SPOT_GRACE_SECONDS),
    volumes: [cache, shm],
    ...(cached && {
      serviceAccount: llmServiceAccount(ctx, cached),
      initContainers: [modelFetchContainer(cached, options.defaultImages, cache)],
    }),
    containers: [
      {
        name: 'llm',
        image: s.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: serverArgs(s, port, cached),
        ports: [{ name: 'http', number: port }],
        envVariables: {
          HOME: kplus.EnvValue.fromValue('/tmp'),
          HF_HOME: kplus.EnvValue.fromValue(`${MODEL_VOLUME_PATH}/hf`),
          LLAMA_CACHE: kplus.EnvValue.fromValue(MODEL_VOLUME_PATH),
          // Gated models (Llama) need a Hugging Face token; the Secret is the user's and optional.
          [HF_TOKEN_KEY]: kplus.EnvValue.fromSecretValue(
            {
              secret: kplus.Secret.fromSecretName(ctx.chart, 'llm-secret', llmSecretName(ctx.name)),
              key: HF_TOKEN_KEY,
            },
            { optional: true },
          ),
        },
        resources: {
          cpu: { request: kplus.Cpu.units(node.vcpu / 2) },
          memory: {
            request: Size.gibibytes(memRequestGi),
            limit: Size.gibibytes(Math.floor(node.memGiB * 0.8)),
          },
          // cdk8s-plus writes ephemeral storage in whole GiB.
          ephemeralStorage: { request: Size.gibibytes(Math.ceil(cacheBytes / 2 ** 30)) },
        },
        // Third-party server images write caches (Python, Triton, CUDA) where we cannot redirect them all.
        securityContext: restrictedSecurityContext(false),
        volumeMounts: [
          { path: MODEL_VOLUME_PATH, volume: cache },
          { path: '/dev/shm', volume: shm },
        ],
        // Without the cache every start downloads the model (tens of GB): allow 30 minutes before liveness
        // takes over. With it the copy is the init container's, and this covers the load into GPU memory.
        startup: probe(180, 10),
        readiness: probe(3, 10),
        liveness: probe(3, 30),
      },
    ],
  });
  deployment.scheduling.tolerate(
    kplus.Node.tainted(kplus.NodeTaintQuery.exists(GPU_TAINT.key, { effect: kplus.TaintEffect.NO_SCHEDULE })),
  );
  // cdk8s-plus has no extended resources; GPUs are requested and limited alike, as the device plugin
  // requires. The patch runs before KubeDeployment's typed serialisation, hence a Quantity, not a string.
  const gpu = GPU_RESOURCE.replace('/', '~1');
  const gpus = kplus.k8s.Quantity.fromNumber(s.gpus);
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add(`/spec/template/spec/containers/0/resources/limits/${gpu}`, gpus),
    JsonPatch.add(`/spec/template/spec/containers/0/resources/requests/${gpu}`, gpus),
  );
  // An exec of `sleep` (both server images are Ubuntu-based): cdk8s-plus-28's typed serialisation drops
  // Kubernetes 1.30's native sleep action.
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/containers/0/lifecycle', {
      preStop: { exec: { command: ['sleep', String(PRE_STOP_SECONDS)] } },
    }),
  );
  if (cached) modelSeedJob(ctx, cached, options.defaultImages);
  platformService(ctx, 'llm', port);
  disruptionBudget(ctx, 'llm');
  if (keda) {
    // Without an HPA construct on it, cdk8s-plus would write a replica count KEDA then fights.
    deployment.markHasAutoscaler();
    llmScaledObject(ctx, deployment.name, s, keda);
  }
  return {
    cpu: node.vcpu / 2,
    memory: memRequestGi * 2 ** 30,
    gpus: s.gpus,
    ...(cached && { seed: { ...SEED_REQUESTS } }),
  };
}
