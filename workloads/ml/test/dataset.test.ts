import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NEUTRAL_BAND, labelOf, loadUci, loadVader, withoutEvaluationText } from '../src/build/dataset.js';
import { fetchVaderData } from '../src/build/sources.js';
import { binaryScores } from '../src/eval/metrics.js';
import { defaultCacheDir } from '../src/paths.js';

const SHARED = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'vader-icwsm2014');

test('the training files fetched from PyPI are byte-identical to the copy in shared/data', (t) => {
  const { dir } = fetchVaderData(defaultCacheDir());
  const files = readdirSync(SHARED)
    .filter((f) => f.endsWith('_GroundTruth.txt'))
    .sort();
  t.is(files.length, 4);
  for (const f of files) t.true(readFileSync(join(dir, f)).equals(readFileSync(join(SHARED, f))), f);
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
