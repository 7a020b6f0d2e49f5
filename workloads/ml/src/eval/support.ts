// The support-comment evaluation set, eval-data/support-comments.tsv: sentences in the product's own
// language (customers, agents and engineers on support tickets), written for this project and never
// trained on. A header line, then `label<TAB>voice<TAB>text`; parsed strictly, so a broken edit fails
// loudly with its line number instead of quietly shrinking or skewing the set.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LABELS, type Label } from '../head.js';
import { classificationScores, type Scores } from './metrics.js';

export const VOICES = ['customer', 'agent', 'engineer'] as const;
export type Voice = (typeof VOICES)[number];

export interface SupportComment {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  label: Label;
  voice: Voice;
  text: string;
}

export const SUPPORT_SET_FILE = fileURLToPath(
  new URL('../../eval-data/support-comments.tsv', import.meta.url),
);
export const SUPPORT_SET_HEADER = 'label\tvoice\ttext';

/** Texts that differ only in case or whitespace are the same sentence. */
export const sameTextKey = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').trim();

/** The rows of a support-set file; any malformed row or repeated text throws, naming `source:line`. */
export function parseSupportSet(content: string, source = 'support set'): SupportComment[] {
  const lines = content.split('\n');
  // One newline at the end of the file is allowed; any other empty line is an error below.
  if (lines.at(-1) === '') lines.pop();
  const fail = (line: number, why: string): never => {
    throw new Error(`${source}:${line}: ${why}`);
  };
  const withCr = lines.findIndex((l) => l.includes('\r'));
  if (withCr >= 0) fail(withCr + 1, 'carriage return in the line (the file must use \\n line endings)');
  if (lines[0] !== SUPPORT_SET_HEADER)
    fail(
      1,
      `the header must be ${JSON.stringify(SUPPORT_SET_HEADER)}, not ${JSON.stringify(lines[0] ?? '')}`,
    );
  const firstLineOf = new Map<string, number>();
  return lines.slice(1).map((row, i) => {
    const line = i + 2;
    const cols = row.split('\t');
    if (cols.length !== 3)
      fail(line, `expected 3 tab-separated fields (label, voice, text), found ${cols.length}`);
    const [label, voice, text] = cols as [string, string, string];
    if (!(LABELS as readonly string[]).includes(label))
      fail(line, `label ${JSON.stringify(label)} is not one of ${LABELS.join(', ')}`);
    if (!(VOICES as readonly string[]).includes(voice))
      fail(line, `voice ${JSON.stringify(voice)} is not one of ${VOICES.join(', ')}`);
    if (text.trim() === '') fail(line, 'empty text');
    if (text !== text.trim()) fail(line, 'leading or trailing whitespace in the text');
    const key = sameTextKey(text);
    const first = firstLineOf.get(key);
    if (first !== undefined)
      fail(line, `the same text as line ${first} (compared ignoring case and whitespace)`);
    firstLineOf.set(key, line);
    return { line, label: label as Label, voice: voice as Voice, text };
  });
}

export function loadSupportSet(file = SUPPORT_SET_FILE): SupportComment[] {
  return parseSupportSet(readFileSync(file, 'utf8'), file);
}

/** Scores of three-class predictions (one per comment, in order) against the set's labels. */
export function supportScores(comments: readonly SupportComment[], predicted: readonly Label[]): Scores {
  return classificationScores(
    comments.map((c) => LABELS.indexOf(c.label)),
    predicted.map((p) => LABELS.indexOf(p)),
    LABELS.length,
  );
}

const f3 = (x: number) => x.toFixed(3);

/** The lines `npm run eval` prints: overall, per class, the confusion matrix, and per voice. */
export function supportReport(comments: readonly SupportComment[], predicted: readonly Label[]): string[] {
  const all = supportScores(comments, predicted);
  const out = [
    `n ${comments.length}   accuracy ${f3(all.accuracy)}   macro-F1 ${f3(all.macroF1)}`,
    `${'class'.padEnd(10)} ${['precision', 'recall', 'F1', 'n'].map((h) => h.padStart(9)).join(' ')}`,
    ...LABELS.map((l, c) => {
      const s = all.perClass[c]!;
      return `${l.padEnd(10)} ${[f3(s.precision), f3(s.recall), f3(s.f1), String(s.support)].map((v) => v.padStart(9)).join(' ')}`;
    }),
    `confusion (rows: true label, columns: predicted)`,
    `${''.padEnd(10)} ${LABELS.map((l) => l.padStart(9)).join(' ')}`,
    ...LABELS.map(
      (l, c) => `${l.padEnd(10)} ${all.confusion[c]!.map((n) => String(n).padStart(9)).join(' ')}`,
    ),
    `${'voice'.padEnd(10)} ${['n', 'accuracy', 'macro-F1', ...LABELS.map((l) => `${l.slice(0, 3)} rec`)].map((h) => h.padStart(9)).join(' ')}`,
  ];
  for (const voice of VOICES) {
    const idx = comments.flatMap((c, i) => (c.voice === voice ? [i] : []));
    const s = supportScores(
      idx.map((i) => comments[i]!),
      idx.map((i) => predicted[i]!),
    );
    out.push(
      `${voice.padEnd(10)} ${[String(idx.length), f3(s.accuracy), f3(s.macroF1), ...s.perClass.map((c) => f3(c.recall))].map((v) => v.padStart(9)).join(' ')}`,
    );
  }
  return out;
}
