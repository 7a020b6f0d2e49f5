// npm run build:model -w workloads/ml
import { availableParallelism } from 'node:os';
import { defaultCacheDir, defaultModelDir } from '../paths.js';
import { buildModel } from './build.js';

const modelDir = defaultModelDir();
const t0 = Date.now();
const { built, manifest } = await buildModel({
  modelDir,
  cacheDir: defaultCacheDir(),
  threads: availableParallelism(),
  log: (m) => console.error(`[build:model] ${m}`),
});
console.error(
  `[build:model] ${built ? 'built' : 'up to date'}: ${modelDir} (validation accuracy ${manifest.validationAccuracy}, l2 ${manifest.l2}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
