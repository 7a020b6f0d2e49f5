// The S3 calls the tool makes, all under one tenant's prefix. The client takes the SDK's default chain
// (IRSA or Pod Identity credentials, AWS_ENDPOINT_URL) and the configured region; tests pass moto's.
import {
  DeleteObjectsCommand,
  S3Client,
  paginateListObjectsV2,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

export function createS3(overrides: S3ClientConfig = {}): S3Client {
  return new S3Client(overrides);
}

/** Every key under `prefix` (ListObjectsV2, all pages). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
  }
  return keys;
}

/** DeleteObjects takes at most 1000 keys a call. */
const DELETE_BATCH = 1000;

/** Deletes `keys`; throws naming the keys S3 refused (DeleteObjects reports them in a 200 response). */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  const failed: string[] = [];
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    for (const e of out.Errors ?? [])
      failed.push(`${e.Key ?? '?'} (${e.Code ?? 'error'}: ${e.Message ?? ''})`);
  }
  if (failed.length) throw new Error(`could not delete ${failed.length} old backup(s): ${failed.join(', ')}`);
}
