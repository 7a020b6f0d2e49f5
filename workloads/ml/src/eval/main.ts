// npm run eval -w workloads/ml: accuracy and macro-F1 on the UCI Sentiment Labelled Sentences (3,000,
// never trained on), per domain, for the model and three lexicon baselines computed in the same run.
// The model is three-class; on this binary task it predicts positive when P(positive) > P(negative).
// Then the support-comment set (eval-data/, src/eval/support.ts), three classes: the model's most probable
// label, scored by accuracy, macro-F1, per class, a confusion matrix and per voice; VADER alongside.
import { cpuLimit } from '../server.js';
import { SentimentModel } from '../model.js';
import { defaultModelDir } from '../paths.js';
import { loadUci } from '../build/dataset.js';
import { baselines } from './baselines.js';
import { binaryScores } from './metrics.js';
import { loadSupportSet, supportReport, supportScores } from './support.js';

const sentences = loadUci();
const support = loadSupportSet();
const domains = ['amazon', 'yelp', 'imdb'] as const;
const model = await SentimentModel.load(defaultModelDir(), cpuLimit());
const t0 = performance.now();
const results = await model.classify(sentences.map((s) => s.text));
const seconds = (performance.now() - t0) / 1000;
const supportResults = await model.classify(support.map((c) => c.text));
await model.release();

const predictions: Record<string, number[]> = {
  'sentiment model': results.map((r) => (r.probabilities.positive > r.probabilities.negative ? 1 : 0)),
};
const lexicons = baselines();
for (const [name, score] of Object.entries(lexicons))
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
// Exact counts: one sentence is 0.03 point, so the table's rounding can hide a bound being crossed.
const right = predictions['sentiment model']!.filter((p, i) => p === sentences[i]!.label).length;
console.log(
  `sentiment model: ${right} of ${sentences.length} right (${(right / sentences.length).toFixed(4)})`,
);
console.log(
  `model inference: ${(sentences.length / seconds).toFixed(0)} sentences/s over ${seconds.toFixed(1)} s`,
);

console.log(
  `\nSupport comments (eval-data/support-comments.tsv, written for this project, never trained on), ` +
    `three classes, the model's most probable label:`,
);
const supportLabels = supportResults.map((r) => r.label);
console.log(supportReport(support, supportLabels).join('\n'));
// VADER's own three-class rule: compound ≥ 0.05 positive, ≤ −0.05 negative, neutral between.
const vader = supportScores(
  support,
  support.map((c) => {
    const compound = lexicons.VADER!(c.text);
    return compound >= 0.05 ? 'positive' : compound <= -0.05 ? 'negative' : 'neutral';
  }),
);
console.log(
  `VADER on the same set (compound ≥ 0.05 positive, ≤ −0.05 negative): accuracy ${vader.accuracy.toFixed(3)}   macro-F1 ${vader.macroF1.toFixed(3)}`,
);
if (process.argv.includes('--json')) console.log(JSON.stringify(table));
