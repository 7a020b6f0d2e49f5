// Configuration comes from the environment the operator sets (crds MODEL_CACHE_ENV, AWS_REGION, HF_TOKEN,
// HF_ENDPOINT). It is validated once at start so a misconfigured Job or init container fails with every
// problem listed, on one line, naming variables only: HF_TOKEN is a secret.
import { HF_TOKEN_KEY, LLM_RUNTIMES, MODEL_CACHE_ENV, isHubModel, type LlmRuntime } from '@sentiment/crds';
import { z } from 'zod';

export const COMMANDS = ['seed', 'fetch'] as const;
export type Command = (typeof COMMANDS)[number];

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** Long enough for the seed Job to copy a large model from the Hub. */
export const DEFAULT_WAIT_SECONDS = 7200;

interface CommonConfig {
  bucket: string;
  /** The model's prefix, ending in `/` (crds modelCachePrefix()). */
  prefix: string;
  /** As the spec names it: `org/name`, for llama-cpp `org/name:QUANT`. */
  model: string;
  runtime: LlmRuntime;
  /** AWS_REGION, or AWS_DEFAULT_REGION. */
  region: string;
}

export interface SeedConfig extends CommonConfig {
  command: 'seed';
  hfToken: string | undefined;
  /** Without a trailing slash. */
  hfEndpoint: string;
}

export interface FetchConfig extends CommonConfig {
  command: 'fetch';
  dir: string;
  waitSeconds: number;
}

export type Config = SeedConfig | FetchConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const common = {
  [MODEL_CACHE_ENV.bucket]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  [MODEL_CACHE_ENV.prefix]: z
    .string()
    .regex(
      /^[^/].*\/$/,
      'a key prefix that ends in "/" and does not start with it (models/<runtime>/<org>/<name>/)',
    ),
  [MODEL_CACHE_ENV.model]: z.string().refine(isHubModel, 'a Hugging Face repository id (org/name[:QUANT])'),
  [MODEL_CACHE_ENV.runtime]: z.enum(LLM_RUNTIMES, `one of ${LLM_RUNTIMES.join(', ')}`),
  // The SDK reads only AWS_REGION, and some webhooks set only AWS_DEFAULT_REGION, so either is taken (parse).
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
};

const httpUrl = z.string().refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'an http(s) URL');

const seedSchema = z.object({
  ...common,
  [HF_TOKEN_KEY]: z.string().min(1).optional(),
  [MODEL_CACHE_ENV.hubEndpoint]: httpUrl.default(DEFAULT_HF_ENDPOINT),
});

const fetchSchema = z.object({
  ...common,
  [MODEL_CACHE_ENV.dir]: z.string().regex(/^\//, 'an absolute path'),
  [MODEL_CACHE_ENV.waitSeconds]: z.coerce.number().int().min(0).default(DEFAULT_WAIT_SECONDS),
});

type Env = Record<string, string | undefined>;

function parse<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(config)');
        return `${name}: ${env[name] === undefined ? 'missing' : issue.message}`;
      });
  if (env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined)
    problems.push('AWS_REGION: missing (nor is AWS_DEFAULT_REGION set)');
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/** Validates `env` for `command`; throws ConfigError naming every bad or missing variable (never a value). */
export function loadConfig(command: Command, env: Env = process.env): Config {
  // Empty strings from templated manifests mean "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const common = (data: z.output<typeof seedSchema | typeof fetchSchema>): CommonConfig => ({
    bucket: data.MODEL_CACHE_BUCKET,
    prefix: data.MODEL_CACHE_PREFIX,
    model: data.MODEL_CACHE_MODEL,
    runtime: data.MODEL_CACHE_RUNTIME,
    // parse() has checked that one of them is set.
    region: data.AWS_REGION ?? data.AWS_DEFAULT_REGION ?? '',
  });
  if (command === 'seed') {
    const data = parse(seedSchema, cleaned);
    return {
      ...common(data),
      command,
      hfToken: data.HF_TOKEN,
      hfEndpoint: data.HF_ENDPOINT.replace(/\/+$/, ''),
    };
  }
  const data = parse(fetchSchema, cleaned);
  return {
    ...common(data),
    command,
    dir: data.MODEL_CACHE_DIR,
    waitSeconds: data.MODEL_CACHE_WAIT_SECONDS,
  };
}
