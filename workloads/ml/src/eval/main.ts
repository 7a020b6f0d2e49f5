// npm run eval -w workloads/ml: accuracy and macro-F1 on the UCI Sentiment Labelled Sentences (3,000,
// never trained on), per domain, for the model and three lexicon baselines computed in the same run.
// The model is three-class; on this binary task it predicts positive when P(positive) > P(negative).
import { cpuLimit } from '../server.js';
import { SentimentModel } from '../model.js';
import { defaultModelDir } from '../paths.js';
import { loadUci } from '../build/dataset.js';
import { baselines } from './baselines.js';
import { binaryScores } from './metrics.js';

const sentences = loadUci();
const domains = ['amazon', 'yelp', 'imdb'] as const;
const model = await SentimentModel.load(defaultModelDir(), cpuLimit());
const t0 = performance.now();
const results = await model.classify(sentences.map((s) => s.text));
const seconds = (performance.now() - t0) / 1000;
await model.release();

const predictions: Record<string, number[]> = {
  'sentiment model': results.map((r) => (r.probabilities.positive > r.probabilities.negative ? 1 : 0)),
};
for (const [name, score] of Object.entries(baselines()))
  predictions[name] = sentences.map((s) => (score(s.text) > 0 ? 1 : 0));

const rows: string[] = [];
const table: Record<string, Record<string, { accuracy: number; macroF1: number }>> = {};
for (const [name, predicted] of Object.entries(predictions)) {
  table[name] = {};
  const cells = domains.map((d) => {
    const idx = sentences.flatMap((s, i) => (s.domain === d ? [i] : []));
    const score = binaryScores(
      idx.map((i) => sentences[i]!.label),
      idx.map((i) => predicted[i]!),
    );
    table[name]![d] = score;
    return score;
  });
  const mean = (k: 'accuracy' | 'macroF1') => cells.reduce((s, c) => s + c[k], 0) / cells.length;
  table[name]!.mean = { accuracy: mean('accuracy'), macroF1: mean('macroF1') };
  rows.push(
    `${name.padEnd(16)} ${[...cells, table[name]!.mean!].map((c) => `${c.accuracy.toFixed(3)} / ${c.macroF1.toFixed(3)}`).join('   ')}`,
  );
}
console.log(
  `UCI Sentiment Labelled Sentences, ${sentences.length} sentences (accuracy / macro-F1); model: ${model.manifest.encoder}`,
);
console.log(`${''.padEnd(16)} ${[...domains, 'mean'].map((d) => d.padEnd(13)).join('   ')}`);
for (const r of rows) console.log(r);
console.log(
  `model inference: ${(sentences.length / seconds).toFixed(0)} sentences/s over ${seconds.toFixed(1)} s`,
);
if (process.argv.includes('--json')) console.log(JSON.stringify(table));
