// The fixed set of questions /v1/ask can compute statistics for. A question is mapped onto one
// shape by keyword rules, deterministically; every parameter is either a period parsed by
// period.ts, a value from a fixed enum, or (topic) free text that is only ever a bound SQL parameter.
// Nothing here, and nothing the LLM says, chooses a table or column.
import {
  findPeriods,
  lastDays,
  precedingPeriod,
  withoutPeriods,
  type FoundPeriod,
  type Period,
} from './period.js';

export const SHAPES = [
  'sentiment_distribution',
  'trend_over_time',
  'breakdown',
  'top_negative',
  'ticket_trends',
  'topic_count',
  'compare_periods',
] as const;
export type ShapeName = (typeof SHAPES)[number];

export const DIMENSIONS = ['priority', 'status', 'assignee'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type Granularity = 'day' | 'week';
export type TicketTrend = 'declining' | 'volatile' | 'improving';

export type ShapeChoice =
  | { shape: 'sentiment_distribution'; period: Period | null }
  | { shape: 'trend_over_time'; period: Period | null; granularity: Granularity }
  | { shape: 'breakdown'; period: Period | null; dimension: Dimension }
  | { shape: 'top_negative'; period: Period | null }
  | { shape: 'ticket_trends'; period: Period | null; trend: TicketTrend }
  | { shape: 'topic_count'; period: Period | null; topic: string }
  | { shape: 'compare_periods'; a: Period; b: Period };

/** When a comparison names no period at all. */
const DEFAULT_COMPARE_DAYS = 30;
const MAX_TOPIC_CHARS = 100;

const COMPARE = /\b(?:compare[sd]?|comparing|comparison|vs\.?|versus|than)\b/i;
const TICKET_WORD = /\b(?:tickets?|issues?|cases?|requests?)\b/i;
const TREND_WORDS: [RegExp, TicketTrend][] = [
  [/\b(?:volatile|unstable|swing(?:s|ing)?|up and down)\b/i, 'volatile'],
  [
    /\b(?:declin\w*|worsen\w*|(?:got|gets?|gotten|getting|went|grew) worse|deteriorat\w*|souring)\b/i,
    'declining',
  ],
  [/\b(?:improv\w*|(?:got|gets?|gotten|getting|went|grew) better|recover\w*)\b/i, 'improving'],
];
const OVER_TIME =
  /\b(?:over time|trend\w*|timeline|daily|weekly|per (?:day|week)|by (?:day|week)|each (?:day|week)|day by day|week by week|history)\b/i;
const WEEKLY = /\b(?:weekly|per week|by week|each week|week by week)\b/i;
const DIMENSION_WORDS: [RegExp, Dimension][] = [
  [/\bpriorit(?:y|ies)\b/i, 'priority'],
  [/\bstatus(?:es)?\b/i, 'status'],
  [/\b(?:assignees?|agents?|owners?|assigned)\b/i, 'assignee'],
];
const TOP_NEGATIVE =
  /\b(?:most negative|worst|angriest|unhappiest|most (?:upset|unhappy|angry|frustrated|dissatisfied)|lowest|top negative|negative tickets)\b/i;
const TOPIC =
  /\b(?:about|mention(?:s|ing|ed)?|regarding|related to|concerning|involving|containing|on the topic of)\s+([^?!.;\n]{1,300})/i;
// Words that end a topic phrase or carry no topic ("tickets about login in the last week").
const TOPIC_STOP =
  /\b(?:tickets?|issues?|comments?|customers?|were|was|are|is|have|has|had|and how|sentiment)\b.*$/i;

/** Free-text topic for a full-text match, or null. It stays data: the SQL binds it as a parameter. */
export function topicOf(question: string, found: FoundPeriod[]): string | null {
  const m = TOPIC.exec(withoutPeriods(question, found));
  if (!m) return null;
  const topic = m[1]!
    .replace(TOPIC_STOP, '')
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .replace(/^\s*(?:the|a|an)\s+/i, '')
    .replace(/\s+(?:in|during|for|since|from|over|within|of)\s*$/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_TOPIC_CHARS);
  return topic.length >= 2 ? topic : null;
}

/** Maps a question onto one shape. Rules are tried in a fixed order; the first that applies wins. */
export function pickShape(question: string, now: Date): ShapeChoice {
  const found = findPeriods(question, now);
  const period = found[0]?.period ?? null;

  if (found.length >= 2) return { shape: 'compare_periods', a: found[0]!.period, b: found[1]!.period };
  if (COMPARE.test(question) && (period || /\b(?:previous|prior|last|before)\b/i.test(question))) {
    const a = period ?? lastDays(DEFAULT_COMPARE_DAYS, now);
    return { shape: 'compare_periods', a, b: precedingPeriod(a) };
  }
  const trend = TREND_WORDS.find(([re]) => re.test(question))?.[1];
  if (trend && TICKET_WORD.test(question)) return { shape: 'ticket_trends', period, trend };
  if (trend || OVER_TIME.test(question)) {
    return { shape: 'trend_over_time', period, granularity: WEEKLY.test(question) ? 'week' : 'day' };
  }
  const dimension = DIMENSION_WORDS.find(([re]) => re.test(question))?.[1];
  if (dimension) return { shape: 'breakdown', period, dimension };
  if (TOP_NEGATIVE.test(question)) return { shape: 'top_negative', period };
  const topic = topicOf(question, found);
  if (topic) return { shape: 'topic_count', period, topic };
  return { shape: 'sentiment_distribution', period };
}
