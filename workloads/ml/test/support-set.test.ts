// The support-comment evaluation set (eval-data/support-comments.tsv): it parses strictly, is large and
// balanced enough to report per class and per voice, and none of it is text the model was trained on.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadVader, withoutEvaluationText } from '../src/build/dataset.js';
import { fetchVaderData } from '../src/build/sources.js';
import { classificationScores, confusionMatrix } from '../src/eval/metrics.js';
import {
  SUPPORT_SET_HEADER,
  VOICES,
  loadSupportSet,
  parseSupportSet,
  sameTextKey,
  supportScores,
} from '../src/eval/support.js';
import { LABELS } from '../src/head.js';
import { defaultCacheDir } from '../src/paths.js';

const set = loadSupportSet();

test('the set has at least 300 rows, each class at least a quarter of them, every voice in every class', (t) => {
  t.true(set.length >= 300, `${set.length} rows`);
  for (const label of LABELS) {
    const rows = set.filter((c) => c.label === label);
    t.true(rows.length >= set.length / 4, `${label}: ${rows.length} of ${set.length}`);
    for (const voice of VOICES)
      t.true(
        rows.some((c) => c.voice === voice),
        `no ${voice} comment labelled ${label}`,
      );
  }
});

test('no two texts of the set are the same, ignoring case and whitespace', (t) => {
  t.is(new Set(set.map((c) => sameTextKey(c.text))).size, set.length);
});

test('no text of the set is training text of the model build', (t) => {
  // The snippets the build trains on, from the same cached download the build uses; compared with the
  // build's own case- and punctuation-insensitive matching (the one that keeps UCI text out of training).
  const snippets = loadVader(fetchVaderData(defaultCacheDir()).dir);
  t.true(snippets.length > 20_000);
  const kept = new Set(withoutEvaluationText(snippets, set));
  const overlap = snippets.filter((s) => !kept.has(s)).map((s) => s.text);
  t.deepEqual(overlap, []);
});

test('the model build never reads the evaluation data', (t) => {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const buildFiles = [
    ...readdirSync(join(src, 'build')).map((f) => join(src, 'build', f)),
    join(src, 'train.ts'),
  ];
  for (const file of buildFiles) {
    const code = readFileSync(file, 'utf8');
    t.false(/eval-data|eval\/support|support-comments/.test(code), file);
  }
});

test('the parser names the line of a malformed row', (t) => {
  const file = (...rows: string[]) => [SUPPORT_SET_HEADER, ...rows].join('\n') + '\n';
  const ok = 'neutral\tagent\tMoved to the billing queue.';
  t.deepEqual(parseSupportSet(file(ok, 'positive\tcustomer\tthanks, that fixed it')), [
    { line: 2, label: 'neutral', voice: 'agent', text: 'Moved to the billing queue.' },
    { line: 3, label: 'positive', voice: 'customer', text: 'thanks, that fixed it' },
  ]);
  const fails = (content: string, message: RegExp) =>
    t.throws(() => parseSupportSet(content, 'x.tsv'), { message }, message.source);
  fails(file(ok, 'negative customer this has no tabs'), /^x\.tsv:3: expected 3 tab-separated fields/);
  fails(file(ok, ok.replace('agent', 'agent\textra')), /^x\.tsv:3: expected 3 tab-separated fields/);
  fails(file('Negative\tagent\tCapitalised label.'), /^x\.tsv:2: label "Negative" is not one of/);
  fails(file(ok, 'neutral\tmanager\tUnknown voice.'), /^x\.tsv:3: voice "manager" is not one of/);
  fails(file(ok, 'positive\tengineer\t'), /^x\.tsv:3: empty text/);
  fails(file(ok, 'positive\tengineer\t works '), /^x\.tsv:3: leading or trailing whitespace/);
  fails(
    file(ok, '', ok.replace('billing', 'sales')),
    /^x\.tsv:3: expected 3 tab-separated fields .*found 1$/,
  );
  fails(file(ok, 'positive\tagent\tall good now\r'), /^x\.tsv:3: carriage return/);
  fails(file(ok).replace(/\n/g, '\r\n'), /^x\.tsv:1: carriage return/);
  fails('text\tlabel\tvoice\n' + ok + '\n', /^x\.tsv:1: the header must be/);
  fails(
    file(ok, 'neutral\tengineer\tLooking into it.', 'neutral\tagent\tlooking  INTO it.'),
    /^x\.tsv:4: the same text as line 3/,
  );
});

test('three-class scores: accuracy, macro-F1, per class and the confusion matrix', (t) => {
  const truth = [0, 0, 1, 1, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 0];
  t.deepEqual(confusionMatrix(truth, predicted, 3), [
    [1, 1, 0],
    [0, 2, 0],
    [1, 0, 1],
  ]);
  const s = classificationScores(truth, predicted, 3);
  t.is(s.accuracy, 4 / 6);
  const close = (a: number, b: number) => t.true(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
  close(s.macroF1, (0.5 + 0.8 + 2 / 3) / 3);
  t.deepEqual(
    s.perClass.map((c) => c.support),
    [2, 2, 2],
  );
  [
    [0.5, 0.5, 0.5],
    [2 / 3, 1, 0.8],
    [1, 0.5, 2 / 3],
  ].forEach(([precision, recall, f1], c) => {
    close(s.perClass[c]!.precision, precision!);
    close(s.perClass[c]!.recall, recall!);
    close(s.perClass[c]!.f1, f1!);
  });
  t.throws(() => confusionMatrix([0, 3], [0, 0], 3), { message: /class 3 at index 1/ });
  const byLabel = supportScores(
    [
      { line: 2, label: 'negative', voice: 'customer', text: 'a' },
      { line: 3, label: 'neutral', voice: 'agent', text: 'b' },
    ],
    ['negative', 'negative'],
  );
  t.deepEqual(byLabel.confusion, [
    [1, 0, 0],
    [1, 0, 0],
    [0, 0, 0],
  ]);
});
