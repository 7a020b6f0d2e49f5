export { createMlServer, configFromEnv, cpuLimit, type MlConfig, type MlServer } from './server.js';
export { SentimentModel, type SentimentResult } from './model.js';
export { buildModel, readManifest, type Manifest } from './build/build.js';
export { defaultCacheDir, defaultModelDir } from './paths.js';
export { LABELS, type Label } from './head.js';
export { EMBEDDING_DIM } from './encoder.js';
