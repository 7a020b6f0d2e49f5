// The S3 calls both commands share. The client takes the SDK's default chain (IRSA credentials,
// AWS_ENDPOINT_URL) and the configured region; tests pass moto's.
import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { modelCacheManifestKey, type ModelCacheManifest } from '@sentiment/crds';
import { parseManifest } from './manifest.js';

export function createS3(overrides: S3ClientConfig = {}): S3Client {
  return new S3Client(overrides);
}

/** The manifest under `prefix`, or undefined while there is none (NoSuchKey); other errors are thrown. */
export async function readManifest(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<ModelCacheManifest | undefined> {
  const key = modelCacheManifestKey(prefix);
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return parseManifest((await out.Body?.transformToString()) ?? '', `s3://${bucket}/${key}`);
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchKey') return undefined;
    throw err;
  }
}
