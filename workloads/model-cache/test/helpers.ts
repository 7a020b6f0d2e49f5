// The real test services for the model cache's tests: a fresh bucket on moto per test file, S3 clients
// that count the commands they send, configs as the operator would set them, and the CLI run as the
// image runs it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { modelCachePrefix, type LlmRuntime } from '@sentiment/crds';
import {
  awsClientConfig,
  loadTestEnv,
  run,
  startFakeHub,
  type FakeHub,
  type FakeRepo,
  type RunResult,
  type TestEnv,
} from '@sentiment/testenv';
import type { TestFn } from 'ava';
import { pino } from 'pino';
import type { FetchConfig, SeedConfig } from '../src/config.js';

export const env: TestEnv = loadTestEnv();
export const s3 = new S3Client(awsClientConfig(env));
/** Quiet in tests; the CLI tests read the real log lines from the child's stdout. */
export const log = pino({ level: 'silent' });

export const hex = (n: number) => randomBytes(n).toString('hex');
export const MiB = 1024 * 1024;

/** An S3 client that records the name of every command it sends. */
export function countingS3(): { s3: S3Client; commands: string[] } {
  const client = new S3Client(awsClientConfig(env));
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize' },
  );
  return { s3: client, commands };
}

/**
 * A test file's fixtures: a bucket of its own (named now, made before the file's tests, emptied and deleted
 * after them, with the file's temporary directories) and, given `repos`, the Hub stand-in serving them
 * (`hub`, once the tests run).
 */
export function fileFixtures(
  test: TestFn,
  repos?: Record<string, FakeRepo>,
): { bucket: string; hub: FakeHub } {
  const bucket = `sentiment-model-cache-test-${hex(6)}`;
  let hub: FakeHub | undefined;
  test.before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    if (repos) hub = await startFakeHub(repos);
  });
  test.after.always(async () => {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
      const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (objects.length)
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await hub?.close();
    await removeDirs();
  });
  return {
    bucket,
    get hub() {
      if (!hub)
        throw new Error(repos ? 'the Hub stand-in starts before the tests' : 'no repos, no Hub stand-in');
      return hub;
    },
  };
}

/** A model id of its own per test (so tests sharing a bucket never share a prefix). */
export function modelId(name = 'tiny'): string {
  return `test-org/${name}-${hex(4)}`;
}

export function seedConfig(
  bucket: string,
  model: string,
  runtime: LlmRuntime,
  hfEndpoint: string,
  hfToken?: string,
): SeedConfig {
  return {
    command: 'seed',
    bucket,
    prefix: modelCachePrefix(runtime, model),
    model,
    runtime,
    region: env.AWS_REGION,
    hfEndpoint,
    hfToken,
  };
}

export function fetchConfig(
  bucket: string,
  model: string,
  runtime: LlmRuntime,
  dir: string,
  waitSeconds = 0,
): FetchConfig {
  return {
    command: 'fetch',
    bucket,
    prefix: modelCachePrefix(runtime, model),
    model,
    runtime,
    region: env.AWS_REGION,
    dir,
    waitSeconds,
  };
}

const dirs: string[] = [];

/** An empty directory (the pod's model volume), deleted after the file's tests (fileFixtures). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sentiment-model-cache-'));
  dirs.push(dir);
  return dir;
}

async function removeDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The environment the operator gives the image, against moto. */
export function toolEnv(vars: Record<string, string>): Record<string, string> {
  return {
    AWS_REGION: env.AWS_REGION,
    AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    ...vars,
  };
}

export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface CliResult extends RunResult {
  /** stdout's JSON log lines. */
  logs: { level: number; msg: string; [k: string]: unknown }[];
}

/** Runs the tool as the image does (`main.js seed|fetch`), from source. */
export async function cli(command: string, toolEnvironment: Record<string, string>): Promise<CliResult> {
  const result = await run(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', MAIN, command],
    undefined,
    toolEnvironment,
  );
  const logs = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as CliResult['logs'][number]);
  return { ...result, logs };
}
