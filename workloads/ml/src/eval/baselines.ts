// Lexicon baselines computed in the same run as the model: wink-nlp, VADER and AFINN. Each gives a
// signed score; a positive score predicts positive, anything else negative (ties are counted against
// the lexicon, which is what "no sentiment word found" deserves on a binary task).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Scorer = (text: string) => number;

export function baselines(): Record<string, Scorer> {
  const winkNLP = require('wink-nlp') as (model: unknown) => {
    readDoc(t: string): { out(x: unknown): number };
    its: { sentiment: unknown };
  };
  const nlp = winkNLP(require('wink-eng-lite-web-model'));
  const vader = require('vader-sentiment') as {
    SentimentIntensityAnalyzer: { polarity_scores(t: string): { compound: number } };
  };
  const Afinn = require('sentiment') as new () => { analyze(t: string): { score: number } };
  const afinn = new Afinn();
  return {
    'wink-nlp': (t) => nlp.readDoc(t).out(nlp.its.sentiment),
    VADER: (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
    AFINN: (t) => afinn.analyze(t).score,
  };
}
