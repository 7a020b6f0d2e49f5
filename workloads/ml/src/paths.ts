import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the built model lives (baked into the image; gitignored in the repo). */
export const defaultModelDir = (): string => process.env.ML_MODEL_DIR ?? join(PACKAGE_DIR, 'model');
/** Downloads and embeddings, kept outside the repo so rebuilds are offline and fast. */
export const defaultCacheDir = (): string =>
  process.env.SENTIMENT_ML_CACHE ?? join(homedir(), '.cache', 'sentiment-platform', 'ml');

export const MODEL_FILES = {
  encoder: 'encoder.onnx',
  sentimentEncoder: 'sentiment-encoder.onnx',
  tokenizer: 'tokenizer.json',
  head: 'head.onnx',
  manifest: 'manifest.json',
} as const;
