// Date phrases in a question ("last 7 days", "this month", "in March", "2024-03-01 to 2024-03-31")
// become UTC periods. Only these fixed patterns are understood; anything else leaves the question
// without a period (all data).

export interface Period {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** How the question named it, normalized ("last 7 days", "March 2024"). */
  label: string;
}

/** A period found in the question and where, so the caller can cut it out of a topic. */
export interface FoundPeriod {
  period: Period;
  index: number;
  length: number;
}

type Unit = 'day' | 'week' | 'month' | 'year';

const DAY = 86_400_000;
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

const utc = (y: number, m: number, d = 1) => new Date(Date.UTC(y, m, d));
const startOfDay = (d: Date) => utc(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Start of the unit containing `d`; weeks start on Monday (ISO). */
function startOf(unit: Unit, d: Date): Date {
  if (unit === 'day') return startOfDay(d);
  if (unit === 'week') return new Date(startOfDay(d).getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
  if (unit === 'month') return utc(d.getUTCFullYear(), d.getUTCMonth());
  return utc(d.getUTCFullYear(), 0);
}

function add(unit: Unit, d: Date, n: number): Date {
  if (unit === 'day') return new Date(d.getTime() + n * DAY);
  if (unit === 'week') return new Date(d.getTime() + 7 * n * DAY);
  const r = new Date(d);
  if (unit === 'month') r.setUTCMonth(r.getUTCMonth() + n);
  else r.setUTCFullYear(r.getUTCFullYear() + n);
  return r;
}

function parseIsoDay(s: string): Date | null {
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || isoDay(d) !== s ? null : d;
}

const unitOf = (s: string) => s.toLowerCase().replace(/s$/, '') as Unit;

interface Rule {
  re: RegExp;
  make(m: RegExpExecArray, now: Date): Period | null;
}

const MONTH_RE = MONTHS.join('|');

// Order matters only for overlapping matches: the earliest, then longest, match wins.
const RULES: Rule[] = [
  {
    // 2024-03-01 to 2024-03-31 (both days included)
    re: /\b(?:between|from)?\s*(\d{4}-\d{2}-\d{2})\s*(?:to|and|until|through|-|–)\s*(\d{4}-\d{2}-\d{2})\b/gi,
    make(m) {
      const a = parseIsoDay(m[1]!);
      const b = parseIsoDay(m[2]!);
      if (!a || !b || b < a) return null;
      return { from: a, to: add('day', b, 1), label: `${m[1]} to ${m[2]}` };
    },
  },
  {
    re: /\b(since|after|from|before|until)\s+(\d{4}-\d{2}-\d{2})\b/gi,
    make(m, now) {
      const d = parseIsoDay(m[2]!);
      if (!d) return null;
      const word = m[1]!.toLowerCase();
      if (word === 'before' || word === 'until')
        return { from: new Date(0), to: word === 'until' ? add('day', d, 1) : d, label: `${word} ${m[2]}` };
      return {
        from: word === 'after' ? add('day', d, 1) : d,
        to: add('day', startOfDay(now), 1),
        label: `${word} ${m[2]}`,
      };
    },
  },
  {
    re: /\b(\d{4}-\d{2}-\d{2})\b/g,
    make(m) {
      const d = parseIsoDay(m[1]!);
      return d ? { from: d, to: add('day', d, 1), label: m[1]! } : null;
    },
  },
  {
    re: /\btoday\b/gi,
    make: (_m, now) => ({ from: startOfDay(now), to: add('day', startOfDay(now), 1), label: 'today' }),
  },
  {
    re: /\byesterday\b/gi,
    make: (_m, now) => ({ from: add('day', startOfDay(now), -1), to: startOfDay(now), label: 'yesterday' }),
  },
  {
    // Rolling windows ending now: "last 7 days", "past two weeks", "previous 3 months".
    re: /\b(?:last|past|previous|preceding)\s+(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(days?|weeks?|months?|years?)\b/gi,
    make(m, now) {
      const word = m[1]!.toLowerCase();
      const n = NUMBER_WORDS[word] ?? Number(word);
      if (!(n >= 1)) return null;
      const unit = unitOf(m[2]!);
      return { from: add(unit, now, -n), to: now, label: `last ${n} ${unit}${n === 1 ? '' : 's'}` };
    },
  },
  {
    // "past week" is the rolling 7 days; "last week" the previous calendar week.
    re: /\bpast\s+(day|week|month|year)\b/gi,
    make(m, now) {
      const unit = unitOf(m[1]!);
      return { from: add(unit, now, -1), to: now, label: `past ${unit}` };
    },
  },
  {
    re: /\b(?:last|previous)\s+(week|month|year)\b/gi,
    make(m, now) {
      const unit = unitOf(m[1]!);
      const start = startOf(unit, now);
      return { from: add(unit, start, -1), to: start, label: `last ${unit}` };
    },
  },
  {
    re: /\b(?:this|current|so far this)\s+(week|month|year)\b|\b(week|month|year)[- ]to[- ]date\b/gi,
    make(m, now) {
      const unit = unitOf((m[1] ?? m[2])!);
      const start = startOf(unit, now);
      return { from: start, to: add(unit, start, 1), label: `this ${unit}` };
    },
  },
  {
    // A month name needs a year or a preposition before it ("may" alone is usually the verb).
    re: new RegExp(`\\b(?:(in|during|for|of|since)\\s+)?(${MONTH_RE})(?:\\s+(\\d{4}))?\\b`, 'gi'),
    make(m, now) {
      if (!m[1] && !m[3]) return null;
      const month = MONTHS.indexOf(m[2]!.toLowerCase());
      // Without a year, the latest such month that has started.
      const year = m[3]
        ? Number(m[3])
        : month <= now.getUTCMonth()
          ? now.getUTCFullYear()
          : now.getUTCFullYear() - 1;
      const from = utc(year, month);
      const name = `${MONTHS[month]![0]!.toUpperCase()}${MONTHS[month]!.slice(1)} ${year}`;
      if (m[1]?.toLowerCase() === 'since')
        return { from, to: add('day', startOfDay(now), 1), label: `since ${name}` };
      return { from, to: add('month', from, 1), label: name };
    },
  },
  {
    re: /\bQ([1-4])(?:\s+(\d{4}))?\b/g,
    make(m, now) {
      const q = Number(m[1]) - 1;
      const year = m[2]
        ? Number(m[2])
        : q * 3 <= now.getUTCMonth()
          ? now.getUTCFullYear()
          : now.getUTCFullYear() - 1;
      const from = utc(year, q * 3);
      return { from, to: add('month', from, 3), label: `Q${q + 1} ${year}` };
    },
  },
  {
    re: /\b(?:in|during|for|of)\s+((?:19|20)\d{2})\b/gi,
    make(m) {
      const from = utc(Number(m[1]), 0);
      return { from, to: add('year', from, 1), label: m[1]! };
    },
  },
];

/** Every period phrase in `text`, in the order they appear, overlaps resolved (earliest, then longest). */
export function findPeriods(text: string, now: Date): FoundPeriod[] {
  const found: FoundPeriod[] = [];
  for (const rule of RULES) {
    for (const m of text.matchAll(rule.re)) {
      const period = rule.make(m as RegExpExecArray, now);
      // Leading whitespace from optional prefixes is not part of the phrase.
      const lead = m[0].length - m[0].trimStart().length;
      if (period) found.push({ period, index: m.index + lead, length: m[0].length - lead });
    }
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const kept: FoundPeriod[] = [];
  for (const f of found) {
    const last = kept.at(-1);
    if (!last || f.index >= last.index + last.length) kept.push(f);
  }
  return kept;
}

/** `text` with the period phrases cut out (what is left may name a topic). */
export function withoutPeriods(text: string, found: FoundPeriod[]): string {
  let out = text;
  for (const f of [...found].reverse()) out = `${out.slice(0, f.index)} ${out.slice(f.index + f.length)}`;
  return out;
}

/** The period of the same length that ends where `p` starts. */
export function precedingPeriod(p: Period): Period {
  const span = p.to.getTime() - p.from.getTime();
  return {
    from: new Date(p.from.getTime() - span),
    to: p.from,
    label: `the ${Math.round(span / DAY)} days before ${p.label.startsWith('last') ? 'the ' : ''}${p.label}`,
  };
}

/** A rolling window of `days` ending at `now`. */
export function lastDays(days: number, now: Date): Period {
  return { from: new Date(now.getTime() - days * DAY), to: now, label: `last ${days} days` };
}

/** The period as it goes into statistics and prompts. */
export function describePeriod(p: Period | null) {
  return p ? { label: p.label, from: p.from.toISOString(), to: p.to.toISOString() } : null;
}
