// The answer without an LLM (none configured, or it failed): the shape's statistics in sentences,
// then the retrieved tickets, cited. Every number comes from the statistics object as computed.
import type { RetrievedTicket } from './retrieve.js';
import type { ShapeChoice } from './shapes.js';

type Stats = Record<string, unknown>;
interface Labels {
  negative: number;
  neutral: number;
  positive: number;
}
interface CommentStats {
  period: { label: string } | null;
  comments: number;
  ticketsWithComments: number;
  commentsByLabel: Labels;
  negativeShare: number | null;
  averageCommentScore: number | null;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);
const num = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const periodText = (p: { label: string } | null | undefined) => (p ? `In ${p.label}` : 'Across all data');
const labels = (l: Labels) => `${l.negative} negative, ${l.neutral} neutral, ${l.positive} positive`;

function commentSentence(s: CommentStats): string {
  if (s.comments === 0) return `${periodText(s.period)} there are no scored comments.`;
  return `${periodText(s.period)}, ${count(s.comments, 'comment')} on ${count(s.ticketsWithComments, 'ticket')} were scored: ${labels(s.commentsByLabel)} (${pct(s.negativeShare)} negative); average comment score ${num(s.averageCommentScore)} on a scale of -1 to 1.`;
}

function statisticsText(c: ShapeChoice, s: Stats): string {
  switch (c.shape) {
    case 'sentiment_distribution':
      return `${commentSentence(s as unknown as CommentStats)} Tickets by current sentiment: ${labels(s.ticketsByCurrentLabel as Labels)}.`;
    case 'trend_over_time': {
      const buckets = s.buckets as { start: string; comments: number; averageScore: number | null }[];
      if (buckets.length === 0)
        return `${periodText(c.period)} there are no scored comments to show a trend.`;
      const shown = buckets
        .slice(-7)
        .map((b) => `${b.start}: ${num(b.averageScore)} (${count(b.comments, 'comment')})`);
      return `${periodText(c.period)}, average comment sentiment per ${c.granularity} over ${count(buckets.length, c.granularity)} is ${s.direction} (later half minus earlier half: ${num(s.changeLaterVsEarlierHalf as number | null)}). Latest: ${shown.join('; ')}.`;
    }
    case 'breakdown': {
      const groups = s.groups as {
        key: string;
        tickets: number;
        averageScore: number | null;
        negativeTickets: number;
      }[];
      if (groups.length === 0)
        return `${periodText(c.period)} there are no scored tickets to break down by ${c.dimension}.`;
      const lines = groups
        .slice(0, 8)
        .map(
          (g) =>
            `${g.key}: ${count(g.tickets, 'ticket')}, average ${num(g.averageScore)}, ${g.negativeTickets} negative`,
        );
      return `${periodText(c.period)}, by ${c.dimension} (most negative first): ${lines.join('; ')}.`;
    }
    case 'top_negative': {
      const top = s.mostNegative as { id: string; sentimentScore: number | null }[];
      if (top.length === 0) return `${periodText(c.period)} no ticket has a negative score.`;
      return `${periodText(c.period)}, tickets by current sentiment: ${labels(s.ticketsByCurrentLabel as Labels)}. The most negative: ${top.map((t) => `[${t.id}] (${num(t.sentimentScore)})`).join(', ')}.`;
    }
    case 'ticket_trends': {
      const by = s.ticketsByTrend as Record<string, number>;
      const ex = s.examples as { id: string; sentimentScore: number | null }[];
      const list = ex.length
        ? ` Most negative of them: ${ex.map((t) => `[${t.id}] (${num(t.sentimentScore)})`).join(', ')}.`
        : '';
      return `${periodText(c.period)}, ${count(by[c.trend] ?? 0, 'ticket')} ${by[c.trend] === 1 ? 'is' : 'are'} ${c.trend} (of ${Object.values(by).reduce((a, b) => a + b, 0)} scored: ${by.improving} improving, ${by.declining} declining, ${by.stable} stable, ${by.volatile} volatile).${list}`;
    }
    case 'topic_count': {
      const by = s.matchingByCurrentLabel as Labels;
      return `${periodText(c.period)}, ${count(s.matchingTickets as number, 'ticket')} ${s.matchingTickets === 1 ? 'matches' : 'match'} "${c.topic}" (${labels(by)}; average score ${num(s.averageScore as number | null)}).`;
    }
    case 'compare_periods': {
      const a = s.first as CommentStats;
      const b = s.second as CommentStats;
      const ch = s.change as { averageCommentScore: number | null; negativeShare: number | null };
      const dir =
        ch.averageCommentScore === null
          ? 'cannot be compared'
          : ch.averageCommentScore > 0
            ? 'is better'
            : ch.averageCommentScore < 0
              ? 'is worse'
              : 'is unchanged';
      return `${commentSentence(a)} ${commentSentence(b)} Sentiment in ${a.period?.label} ${dir} than in ${b.period?.label} (average score change ${num(ch.averageCommentScore)}, negative share change ${ch.negativeShare === null ? 'n/a' : `${Math.round(ch.negativeShare * 1000) / 10} points`}).`;
    }
  }
}

export function templateAnswer(choice: ShapeChoice, statistics: Stats, tickets: RetrievedTicket[]): string {
  const related = tickets.length
    ? ` Related tickets: ${tickets.map((t) => `[${t.id}] ${t.summary.replace(/\s+/g, ' ').slice(0, 80)} (score ${num(t.sentimentScore)})`).join('; ')}.`
    : ' No tickets matched the question.';
  return `${statisticsText(choice, statistics)}${related}`;
}
