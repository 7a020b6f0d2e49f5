// Labelled text: VADER's human-rated snippets for training (mean of 20 ratings on −4..+4, mapped to
// three classes with a neutral band) and the UCI "Sentiment Labelled Sentences" for evaluation only.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Label } from '../head.js';

export interface Snippet {
  id: string;
  domain: string;
  rating: number;
  text: string;
}

/** Ratings strictly inside ±NEUTRAL_BAND are neutral: the raters, on average, saw no clear polarity. */
export const NEUTRAL_BAND = 0.5;

export function labelOf(rating: number, band = NEUTRAL_BAND): Label {
  return rating <= -band ? 'negative' : rating >= band ? 'positive' : 'neutral';
}

/** `id<TAB>mean rating<TAB>text` lines of every *_GroundTruth.txt in dir. */
export function loadVader(dir: string): Snippet[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('_GroundTruth.txt'))
    .sort()
    .flatMap((f) => {
      const domain = f.replace(/Snippets?_GroundTruth\.txt$|_GroundTruth\.txt$/, '');
      return readFileSync(join(dir, f), 'utf8')
        .split(/\r?\n/)
        .map((line) => line.split('\t'))
        .filter((cols) => cols.length >= 3 && cols[2]!.trim() !== '' && Number.isFinite(Number(cols[1])))
        .map(([id, rating, ...text]) => ({
          id: `${domain}:${id}`,
          domain,
          rating: Number(rating),
          text: text.join('\t').trim(),
        }));
    });
}

export interface UciSentence {
  domain: 'amazon' | 'yelp' | 'imdb';
  text: string;
  /** 1 positive, 0 negative. */
  label: 0 | 1;
}

/** The 3,000 UCI sentences shipped as fixtures of npm sentiment@5.0.2 (never used for training). */
export function loadUci(): UciSentence[] {
  const require = createRequire(import.meta.url);
  const fixtures = join(dirname(require.resolve('sentiment/package.json')), 'test', 'fixtures');
  return (['amazon', 'yelp', 'imdb'] as const).flatMap((domain) =>
    (
      JSON.parse(readFileSync(join(fixtures, `${domain}.json`), 'utf8')) as { text: string; class: 0 | 1 }[]
    ).map((r) => ({
      domain,
      text: r.text,
      label: r.class,
    })),
  );
}

const normalized = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/**
 * The snippets minus any whose text is also a UCI evaluation sentence (compared case- and
 * punctuation-insensitively): short stock phrases such as "Very happy with this product." occur in both,
 * and the evaluation must be on text the model never saw.
 */
export function withoutEvaluationText(
  snippets: readonly Snippet[],
  evaluation: readonly { text: string }[],
): Snippet[] {
  const held = new Set(evaluation.map((e) => normalized(e.text)));
  return snippets.filter((s) => !held.has(normalized(s.text)));
}
