export { createMlServer, configFromEnv, cpuLimit, type MlConfig, type MlServer } from './server.js';
export { SentimentModel, type InferenceModel, type SentimentResult } from './model.js';
export { ModelWorker } from './model-worker.js';
export { readManifest, type Manifest } from './manifest.js';
export { buildModel } from './build/build.js';
export { defaultCacheDir, defaultModelDir } from './paths.js';
export { startLocalMl, type LocalMl } from './start-local.js';
export { LABELS, type Label } from './head.js';
export { EMBEDDING_DIM } from './encoder.js';
