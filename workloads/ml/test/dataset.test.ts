import { createHash } from 'node:crypto';
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NEUTRAL_BAND, labelOf, loadUci, loadVader, withoutEvaluationText } from '../src/build/dataset.js';
import { fetchVaderData } from '../src/build/sources.js';
import { binaryScores } from '../src/eval/metrics.js';
import { defaultCacheDir } from '../src/paths.js';

// SHA-256 of the four ground-truth files of the VADER data the model's reported figures were computed on:
// what is fetched from PyPI must be exactly these bytes.
const GROUND_TRUTH_SHA256: Record<string, string> = {
  'amazonReviewSnippets_GroundTruth.txt': '11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2',
  'movieReviewSnippets_GroundTruth.txt': 'c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350',
  'nytEditorialSnippets_GroundTruth.txt': '7d8fbcce7dde5d716da53e78f4ef4be6b706e9ef1e1d51887e6d0ad4b69cc27e',
  'tweets_GroundTruth.txt': 'dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f',
};

test('the training files fetched from PyPI are byte-identical to the validated copy', (t) => {
  const { dir } = fetchVaderData(defaultCacheDir());
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('_GroundTruth.txt'))
    .sort();
  t.deepEqual(files, Object.keys(GROUND_TRUTH_SHA256).sort());
  for (const [f, sha256] of Object.entries(GROUND_TRUTH_SHA256)) {
    t.is(
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
      sha256,
      f,
    );
  }
  const snippets = loadVader(dir);
  t.is(
    snippets.length,
    23_703,
    '23,699 newline-terminated lines plus the unterminated last line of each file',
  );
  t.true(snippets.every((s) => s.rating >= -4 && s.rating <= 4 && s.text.length > 0));
});

test('ratings map to three classes around a stated neutral band', (t) => {
  t.is(NEUTRAL_BAND, 0.5);
  t.is(labelOf(-0.5), 'negative');
  t.is(labelOf(-0.49), 'neutral');
  t.is(labelOf(0.49), 'neutral');
  t.is(labelOf(0.5), 'positive');
});

test('training text that is also an evaluation sentence is left out, whatever its case and punctuation', (t) => {
  const uci = loadUci();
  t.is(uci.length, 3003);
  const snippets = [
    { id: 'a', domain: 'x', rating: 2, text: 'very HAPPY with this product!!' },
    { id: 'b', domain: 'x', rating: 2, text: 'A sentence of its own.' },
  ];
  t.deepEqual(
    withoutEvaluationText(snippets, [{ text: 'Very happy with this product.' }]).map((s) => s.id),
    ['b'],
  );
});

test('accuracy and macro-F1', (t) => {
  t.deepEqual(binaryScores([1, 1, 0, 0], [1, 1, 0, 0]), { accuracy: 1, macroF1: 1 });
  const s = binaryScores([1, 1, 1, 0], [1, 1, 1, 1]);
  t.is(s.accuracy, 0.75);
  t.true(Math.abs(s.macroF1 - (6 / 7 + 0) / 2) < 1e-9);
});
