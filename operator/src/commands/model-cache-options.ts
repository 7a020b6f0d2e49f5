// --model-cache-* flags, shared by `run` and the kubectl plugin (which reads them off the operator's
// Deployment to render as the operator does): the S3 bucket self-hosted LLMs' weights are cached in, and
// the IAM roles its readers and seed Jobs assume.
import { OPERATOR_SYNTH_ENV } from '@sentiment/crds';
import type { ModelCacheOptions } from '../synth/index.js';
import { CommandError } from './manifests.js';

/** run's spelling of the model cache options, for parseArgs. */
export const MODEL_CACHE_FLAGS = {
  'model-cache-bucket': { type: 'string' },
  'model-cache-region': { type: 'string' },
  'model-cache-endpoint-url': { type: 'string' },
  'model-cache-hub-endpoint': { type: 'string' },
  'model-cache-reader-role': { type: 'string' },
  'model-cache-seeder-role': { type: 'string' },
} as const;

type Flag = keyof typeof MODEL_CACHE_FLAGS;
type Flags = { [K in Flag]?: string };

const ENV_OF: Record<Flag, string> = {
  'model-cache-bucket': OPERATOR_SYNTH_ENV.modelCacheBucket,
  'model-cache-region': OPERATOR_SYNTH_ENV.modelCacheRegion,
  'model-cache-endpoint-url': OPERATOR_SYNTH_ENV.modelCacheEndpointUrl,
  'model-cache-hub-endpoint': OPERATOR_SYNTH_ENV.modelCacheHubEndpoint,
  'model-cache-reader-role': OPERATOR_SYNTH_ENV.modelCacheReaderRoleArn,
  'model-cache-seeder-role': OPERATOR_SYNTH_ENV.modelCacheSeederRoleArn,
};

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Each model cache option from its flag among parsed arguments (parseArgs' values, strict or not), else from
 * the environment variable the chart sets.
 */
export function modelCacheSettings(
  values: Record<string, unknown>,
  env: (name: string) => string | undefined,
): Flags {
  return Object.fromEntries(
    (Object.keys(MODEL_CACHE_FLAGS) as Flag[]).flatMap((f) => {
      const v = typeof values[f] === 'string' ? values[f] : env(ENV_OF[f]);
      return v ? [[f, v]] : [];
    }),
  );
}

/**
 * The options, undefined without a bucket. The others need the bucket; a malformed one is a CommandError
 * naming it.
 */
export function modelCacheOptions(settings: Flags): ModelCacheOptions | undefined {
  const get = (f: Flag) => settings[f] || undefined;
  const bucket = get('model-cache-bucket');
  const others = (Object.keys(MODEL_CACHE_FLAGS) as Flag[]).filter(
    (f) => f !== 'model-cache-bucket' && get(f),
  );
  if (!bucket) {
    if (others.length > 0)
      throw new CommandError(`--${others.join(', --')}: set only with --model-cache-bucket`, 2);
    return undefined;
  }
  if (!BUCKET.test(bucket))
    throw new CommandError(`--model-cache-bucket ${bucket}: not an S3 bucket name`, 2);
  for (const f of ['model-cache-reader-role', 'model-cache-seeder-role'] as const) {
    const arn = get(f);
    if (arn && !ROLE_ARN.test(arn)) throw new CommandError(`--${f} ${arn}: not an IAM role ARN`, 2);
  }
  for (const f of ['model-cache-endpoint-url', 'model-cache-hub-endpoint'] as const) {
    const url = get(f);
    if (url && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(url))
      throw new CommandError(`--${f} ${url}: not an http(s) URL`, 2);
  }
  const region = get('model-cache-region');
  const endpointUrl = get('model-cache-endpoint-url');
  const hubEndpoint = get('model-cache-hub-endpoint');
  const readerRoleArn = get('model-cache-reader-role');
  const seederRoleArn = get('model-cache-seeder-role');
  return {
    bucket,
    ...(region && { region }),
    ...(endpointUrl && { endpointUrl }),
    ...(hubEndpoint && { hubEndpoint }),
    ...(readerRoleArn && { readerRoleArn }),
    ...(seederRoleArn && { seederRoleArn }),
  };
}
