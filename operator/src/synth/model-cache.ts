// The model cache (crds model-cache.ts): with an installation bucket, a self-hosted LLM's weights are
// copied from the Hub into S3 once, by a seed Job per model, and from S3 onto the pod's volume by an init
// container at every start; the server then loads them from disk and never reaches the Hub. A spot
// replacement pays the copy from S3 in its region (minutes) instead of a Hub download (up to 30 minutes).
// The LLM pods may only read the cache and the seed Jobs only write models: the installation's two IAM
// roles, trusted by the ServiceAccount names crds fixes.
import { createHash } from 'node:crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  DEFAULT_IMAGES,
  HF_TOKEN_KEY,
  MODEL_CACHE_ENV,
  MODEL_CACHE_FETCH_ARGS,
  MODEL_CACHE_GGUF_LINK,
  MODEL_CACHE_SEED_ARGS,
  isHubModel,
  llmSecretName,
  llmServiceAccountName,
  modelCachePrefix,
  modelSeedServiceAccountName,
  type LlmRuntime,
  type ResolvedSpec,
} from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels } from './labels.js';
import { irsaServiceAccount } from './platform.js';
import {
  awsSdkEnv,
  finishPlatformPod,
  literalEnv,
  platformPodProps,
  restrictedSecurityContext,
} from './pod.js';

/** The operator's model cache settings (its --model-cache-* flags). */
export interface ModelCacheOptions {
  bucket: string;
  /** AWS_REGION of the cache's pods; unset, the IRSA webhook's default region applies. */
  region?: string;
  /** AWS_ENDPOINT_URL of the cache's pods (an S3 VPC endpoint, or a stand-in). */
  endpointUrl?: string;
  /** The Hub the seed Jobs copy from: a mirror or proxy of huggingface.co (HF_ENDPOINT). */
  hubEndpoint?: string;
  /** The role the LLM pods assume to read the cache; unset, their ServiceAccount has no role annotation. */
  readerRoleArn?: string;
  /** The role the seed Jobs assume to write it. */
  seederRoleArn?: string;
}

/** The installation's image references, of which the cache's pods need their own. */
export type ModelCacheImages = { 'model-cache'?: string } | undefined;

/** One model's place in the cache, and the installation's cache settings it came from. */
export interface CachedModel {
  prefix: string;
  model: string;
  runtime: LlmRuntime;
  settings: ModelCacheOptions;
}

/** Where the LLM pod's volume is mounted, and the folder of it the weights are copied into. */
export const MODEL_VOLUME_PATH = '/models';
export const CACHED_MODEL_DIR = `${MODEL_VOLUME_PATH}/cached`;
/** What the seed Job's pod requests (cores, bytes): the tenant's quota makes room for it. */
export const SEED_REQUESTS = { cpu: 0.5, memory: 512 * 2 ** 20 } as const;
/** How long an LLM pod waits for the model's first seed: a 405B model is ~800 GB from the Hub. */
export const SEED_WAIT = Duration.hours(6);

/**
 * The platform's model in the installation's cache; undefined without a cache, without a self-hosted LLM,
 * or for a model named otherwise than by a Hub id (a path in the image, a URL), which loads as before.
 */
export function cachedModel(spec: ResolvedSpec, options?: ModelCacheOptions): CachedModel | undefined {
  if (!options || spec.llm.provider !== 'self-hosted') return undefined;
  const { model, runtime } = spec.llm.selfHosted;
  if (!isHubModel(model)) return undefined;
  return { prefix: modelCachePrefix(runtime, model), model, runtime, settings: options };
}

/**
 * The server arguments that name the model: its folder on the pod's volume, served under the spec's name
 * (the API asks for that name; ENV.llmModel).
 */
export function cachedModelArgs(cached: CachedModel): string[] {
  return cached.runtime === 'vllm'
    ? ['--model', CACHED_MODEL_DIR, '--served-model-name', cached.model]
    : ['-m', `${CACHED_MODEL_DIR}/${MODEL_CACHE_GGUF_LINK}`, '--alias', cached.model];
}

const image = (images: ModelCacheImages): string => images?.['model-cache'] ?? DEFAULT_IMAGES['model-cache'];

function modelEnv(cached: CachedModel): Record<string, string> {
  return {
    [MODEL_CACHE_ENV.bucket]: cached.settings.bucket,
    [MODEL_CACHE_ENV.prefix]: cached.prefix,
    [MODEL_CACHE_ENV.model]: cached.model,
    [MODEL_CACHE_ENV.runtime]: cached.runtime,
    ...awsSdkEnv(cached.settings),
  };
}

/** The LLM pods' ServiceAccount: the cache's reader role, and nothing of the tenant's own role. */
export function llmServiceAccount(ctx: SynthContext, cached: CachedModel): kplus.ServiceAccount {
  return irsaServiceAccount(ctx.chart, 'llm-service-account', {
    name: llmServiceAccountName(ctx.name),
    labels: objectLabels(ctx.name, 'llm'),
    roleArn: cached.settings.readerRoleArn,
  });
}

/** The LLM pod's init container: waits for the seed, then copies the model onto `volume`. */
export function modelFetchContainer(
  cached: CachedModel,
  images: ModelCacheImages,
  volume: kplus.Volume,
): kplus.ContainerProps {
  return {
    name: 'model-fetch',
    image: image(images),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: [...MODEL_CACHE_FETCH_ARGS],
    envVariables: literalEnv({
      ...modelEnv(cached),
      [MODEL_CACHE_ENV.dir]: CACHED_MODEL_DIR,
      [MODEL_CACHE_ENV.waitSeconds]: String(SEED_WAIT.toSeconds()),
    }),
    // Parallel ranged GETs: the network and the disk are the limit, not the CPU; memory is the ranges in flight.
    resources: {
      cpu: { request: kplus.Cpu.units(1) },
      memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
    },
    securityContext: restrictedSecurityContext(),
    volumeMounts: [{ path: MODEL_VOLUME_PATH, volume }],
  };
}

/** A platform's model seed, for its status: the Job and where it writes. */
export interface ModelSeed {
  job: string;
  model: string;
  /** s3://bucket/prefix */
  location: string;
}

export function modelSeed(platform: string, cached: CachedModel): ModelSeed {
  return {
    job: modelSeedJobName(platform, cached.prefix),
    model: cached.model,
    location: `s3://${cached.settings.bucket}/${cached.prefix}`,
  };
}

/** The seed Job of a model (its prefix): its name changes with the model, as a Job's template cannot. */
export function modelSeedJobName(platform: string, prefix: string): string {
  const digest = createHash('sha256').update(prefix).digest('hex').slice(0, 8);
  return `${platform}-model-seed-${digest}`;
}

/**
 * The Job that copies the model from the Hub into the cache, with the tenant's Hub token (gated models);
 * a model already seeded (by any tenant) ends it at once without writing.
 */
export function modelSeedJob(ctx: SynthContext, cached: CachedModel, images: ModelCacheImages): void {
  const component = 'model-seed';
  const capacity = ctx.spec.worker.capacity;
  const pod = platformPodProps(ctx, component, capacity);
  const job = new kplus.Job(ctx.chart, 'model-seed', {
    metadata: { name: modelSeedJobName(ctx.name, cached.prefix), labels: objectLabels(ctx.name, component) },
    ...pod,
    serviceAccount: irsaServiceAccount(ctx.chart, 'model-seed-service-account', {
      name: modelSeedServiceAccountName(ctx.name),
      labels: objectLabels(ctx.name, component),
      roleArn: cached.settings.seederRoleArn,
    }),
    // A Job's pod template is immutable: no config digest, which changes with unrelated settings.
    podMetadata: { labels: pod.podMetadata.labels },
    // The Hub and S3 fail transiently; a rerun copies again from the start (the manifest is written last).
    backoffLimit: 4,
    activeDeadline: SEED_WAIT,
    containers: [
      {
        name: 'seed',
        image: image(images),
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: [...MODEL_CACHE_SEED_ARGS],
        envVariables: {
          ...literalEnv({
            ...modelEnv(cached),
            ...(cached.settings.hubEndpoint && {
              [MODEL_CACHE_ENV.hubEndpoint]: cached.settings.hubEndpoint,
            }),
          }),
          [HF_TOKEN_KEY]: kplus.EnvValue.fromSecretValue(
            {
              secret: kplus.Secret.fromSecretName(ctx.chart, 'model-seed-secret', llmSecretName(ctx.name)),
              key: HF_TOKEN_KEY,
            },
            { optional: true },
          ),
        },
        // Streams each file to S3 in multipart uploads: memory is the parts in flight (4 × 64 MiB).
        resources: {
          cpu: { request: kplus.Cpu.millis(SEED_REQUESTS.cpu * 1000) },
          memory: { request: Size.mebibytes(SEED_REQUESTS.memory / 2 ** 20), limit: Size.gibibytes(1) },
        },
        securityContext: restrictedSecurityContext(),
      },
    ],
  });
  finishPlatformPod(ctx, job, { component, capacity, templatePath: '/spec/template' });
}
