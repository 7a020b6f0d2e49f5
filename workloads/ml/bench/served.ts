// What the ML benchmarks share: the median they report, and the encoder run as the service runs it.
import type { Encoder } from '../src/encoder.js';
import { configFromEnv } from '../src/server.js';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The most texts the service puts in one model call (ML_MAX_BATCH). */
export const servedMaxBatch = configFromEnv(process.env).maxBatch;

/** Embeds `texts` in model calls of ML_MAX_BATCH texts, as the service's micro-batcher does under load. */
export async function embedAsServed(encoder: Encoder, texts: readonly string[]): Promise<void> {
  for (let i = 0; i < texts.length; i += servedMaxBatch)
    await encoder.embed(texts.slice(i, i + servedMaxBatch));
}
