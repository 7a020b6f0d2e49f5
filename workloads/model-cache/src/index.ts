// The tool's parts, for tests and for callers that seed or fetch a model in process.
export { runSeed, PART_SIZE, QUEUE_SIZE, type SeedDeps, type SeedResult } from './seed.js';
export {
  runFetch,
  planRanges,
  RANGE_SIZE,
  CONCURRENCY,
  type ByteRange,
  type FetchDeps,
  type FetchResult,
} from './fetch.js';
export {
  selectFiles,
  ggufQuants,
  resolveRevision,
  downloadFile,
  HubError,
  type HubFile,
  type HubRevision,
  type HubClient,
} from './hub.js';
export { parseManifest, unsafePathReason } from './manifest.js';
export {
  loadConfig,
  ConfigError,
  COMMANDS,
  DEFAULT_HF_ENDPOINT,
  DEFAULT_WAIT_SECONDS,
  type Command,
  type Config,
  type SeedConfig,
  type FetchConfig,
} from './config.js';
export { createS3, readManifest } from './s3.js';
export { createLogger, errorMessage, rate } from './log.js';
