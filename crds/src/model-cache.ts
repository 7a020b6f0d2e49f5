// The model cache's contract (workloads/model-cache) with the operator: a self-hosted LLM's weights copied
// once from Hugging Face into the cluster's S3 bucket by a seed Job, and copied from there onto the pod's
// disk by an init container at every start, so a replacement spot node reads S3 in its own region instead
// of the Hub. The operator writes the Job and the init container; the image reads this module's names.
import type { LlmRuntime } from './types.js';

/** Arguments of the model cache image: copy a model from the Hub into the bucket, or from the bucket to disk. */
export const MODEL_CACHE_SEED_ARGS = ['seed'] as const;
export const MODEL_CACHE_FETCH_ARGS = ['fetch'] as const;

/**
 * Environment of the model cache image, besides AWS_REGION and the AWS SDK's own (AWS_ENDPOINT_URL, the IRSA
 * variables EKS injects) and HF_TOKEN (HF_TOKEN_KEY, seed: the tenant's token for gated models).
 */
export const MODEL_CACHE_ENV = {
  bucket: 'MODEL_CACHE_BUCKET',
  /** The model's key prefix (modelCachePrefix()); everything the image reads or writes is under it. */
  prefix: 'MODEL_CACHE_PREFIX',
  /** The model as the spec names it (llm.selfHosted.model): `org/name`, and for llama-cpp `org/name:QUANT`. */
  model: 'MODEL_CACHE_MODEL',
  /** vllm or llama-cpp: which of the repository's files the server needs. */
  runtime: 'MODEL_CACHE_RUNTIME',
  /** fetch: the directory the files are written to (the pod's model volume). */
  dir: 'MODEL_CACHE_DIR',
  /** fetch: how long to wait for the seed Job to finish before failing (seconds). */
  waitSeconds: 'MODEL_CACHE_WAIT_SECONDS',
  /** seed: the Hub's address, as huggingface_hub reads it (a mirror or proxy); default https://huggingface.co. */
  hubEndpoint: 'HF_ENDPOINT',
} as const;

/** Written last by the seed, so its presence means every file listed is in the bucket. */
export const MODEL_CACHE_MANIFEST = 'manifest.json';
/** The manifest's key under a model's prefix (modelCachePrefix()). */
export const modelCacheManifestKey = (prefix: string): string => `${prefix}${MODEL_CACHE_MANIFEST}`;
/** Written last by fetch in the target directory, holding the manifest's revision: the copy is complete. */
export const MODEL_CACHE_COMPLETE = '.complete';
/** llama-cpp: fetch links this name to the (first) GGUF file; llama-server is started with `-m` on it. */
export const MODEL_CACHE_GGUF_LINK = 'model.gguf';
/** llama-server's own default when a `-hf` reference names no quantisation. */
export const DEFAULT_GGUF_QUANT = 'Q4_K_M';

/** What the seed writes at `<prefix>manifest.json`. */
export interface ModelCacheManifest {
  model: string;
  runtime: LlmRuntime;
  /** The Hub commit the files were copied from. */
  revision: string;
  /** Paths relative to the prefix (as in the Hub repository), with their sizes in bytes. */
  files: { path: string; size: number }[];
  /** ISO 8601. */
  seededAt: string;
}

/**
 * A Hub repository id (`org/name`, the characters the Hub allows), with llama.cpp's optional `:QUANT`. Models
 * named otherwise (a URL, a path in the image) are not cached: the server loads them as it always did.
 */
export const HUB_MODEL_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(:[A-Za-z0-9._-]+)?$';

export function isHubModel(model: string): boolean {
  return new RegExp(HUB_MODEL_PATTERN).test(model) && !model.includes('..');
}

/** The repository id and, for llama-cpp, the quantisation (upper case; DEFAULT_GGUF_QUANT when unnamed). */
export function hubModel(model: string, runtime: LlmRuntime): { repo: string; quant?: string } {
  const [repo = model, quant] = model.split(':');
  if (runtime === 'vllm') return { repo };
  return { repo, quant: (quant ?? DEFAULT_GGUF_QUANT).toUpperCase() };
}

/**
 * Where one model's files live in the bucket: `models/<runtime>/<org>/<name>/[<QUANT>/]`. Per runtime and
 * quantisation, as they are different files; shared by every tenant serving the same model.
 */
export function modelCachePrefix(runtime: LlmRuntime, model: string): string {
  if (!isHubModel(model)) throw new Error(`${JSON.stringify(model)} is not a Hugging Face repository id`);
  const { repo, quant } = hubModel(model, runtime);
  return `models/${runtime}/${repo}/${quant ? `${quant}/` : ''}`;
}

/**
 * The ServiceAccounts of a platform's LLM pods (which read the cache) and of its seed Job (which writes it).
 * The installation's reader and seeder IAM roles trust these names in tenant namespaces (IRSA,
 * `system:serviceaccount:tenant-*:*<suffix>`), so the suffixes are the contract with the infra.
 */
export const MODEL_CACHE_READER_SA_SUFFIX = '-llm';
export const MODEL_CACHE_SEEDER_SA_SUFFIX = '-model-seed';
export const llmServiceAccountName = (platform: string): string =>
  `${platform}${MODEL_CACHE_READER_SA_SUFFIX}`;
export const modelSeedServiceAccountName = (platform: string): string =>
  `${platform}${MODEL_CACHE_SEEDER_SA_SUFFIX}`;
