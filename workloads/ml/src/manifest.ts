// What a built model directory says about itself (written last by the build: its presence marks a complete model).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILES } from './paths.js';

export interface Manifest {
  key: string;
  encoder: string;
  /** How the encoder was quantised from the published fp32 model. */
  quantization: string;
  /** What the head reads. */
  sentiment: string;
  trainingData: string;
  labels: readonly string[];
  neutralBand: number;
  l2: number;
  trainingSnippets: Record<string, number>;
  /** Snippets left out because the evaluation set contains the same text. */
  excludedAsEvaluationText: number;
  validationAccuracy: number;
  /** Of the search embeddings. */
  embeddingDim: number;
}

export function readManifest(modelDir: string): Manifest | undefined {
  const path = join(modelDir, MODEL_FILES.manifest);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}
