// The real model for the tests: built (or found up to date) by the same cached build as `npm run build:model`.
import { availableParallelism } from 'node:os';
import { buildModel } from '../src/build/build.js';
import { defaultCacheDir, defaultModelDir } from '../src/paths.js';

let built: Promise<string> | undefined;

/** The model directory, built on first use (a cold build fetches the jar and data and takes minutes). */
export function modelDir(): Promise<string> {
  built ??= buildModel({
    modelDir: defaultModelDir(),
    cacheDir: defaultCacheDir(),
    threads: availableParallelism(),
  }).then(() => defaultModelDir());
  return built;
}
