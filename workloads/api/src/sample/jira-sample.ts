// A synthetic Jira export in the real CSV format (repeated `Comment` columns holding
// `DD/Mon/YY hh:mm AM;author;text`), deterministic for a seed. The local platform loads it as its demo
// data and the ingest benchmark streams it at any size, so it is generated line by line.
import { Readable } from 'node:stream';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PRODUCTS = [
  'checkout',
  'login',
  'mobile app',
  'billing portal',
  'reports export',
  'search',
  'notifications',
  'SSO',
  'API',
  'dashboard',
];
const PROBLEMS = [
  'times out',
  'shows error 500',
  'is very slow',
  'drops my changes',
  'charges twice',
  'will not load',
  'logs me out',
  'sends duplicate emails',
];
const STATUSES = ['Open', 'In Progress', 'Waiting for customer', 'Resolved', 'Closed'];
const PRIORITIES = ['Highest', 'High', 'Medium', 'Low'];
const AGENTS = ['alice', 'bob', 'carmen', 'dmitri', 'erin', 'farid'];
const CUSTOMERS = ['jdoe', 'mlopez', 'kchen', 'asmith', 'pnovak', 'tnguyen', 'rkumar', 'lmartin'];

const NEGATIVE = [
  'This is unacceptable, the {p} {x} again and my team cannot work.',
  'Still broken. We are losing customers because the {p} {x}.',
  'Very frustrated: nobody has answered in two days and the {p} still {x}.',
  'Terrible experience, I am considering cancelling our contract.',
  'The workaround you sent did not help at all, it made things worse.',
];
const NEUTRAL = [
  'We are looking into the {p} issue and will update you shortly.',
  'Could you send the request id and the time it happened?',
  'Attached the logs from this morning.',
  'Escalated to the {p} team for investigation.',
  'A fix is scheduled for the next release.',
];
const POSITIVE = [
  'Thanks, the {p} works perfectly now. Great job!',
  'Confirmed fixed on our side, really appreciate the quick help.',
  'Excellent support, thank you for staying on this.',
  'Everything is back to normal, you can close the ticket.',
  'Much better today, the {p} is fast again. Thank you!',
];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function jiraDate(d: Date): string {
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${pad(d.getUTCFullYear() % 100)} ${h % 12 || 12}:${pad(d.getUTCMinutes())} ${h < 12 ? 'AM' : 'PM'}`;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface SampleOptions {
  tickets: number;
  commentsPerTicket?: number;
  /** Newest activity happens up to this date; tickets spread over `days` before it. */
  end?: Date;
  days?: number;
  seed?: number;
  prefix?: string;
}

export const SAMPLE_HEADER = (comments: number): string =>
  [
    'Issue key',
    'Summary',
    'Description',
    'Status',
    'Priority',
    'Assignee',
    'Created',
    'Updated',
    ...Array<string>(comments).fill('Comment'),
  ].join(',');

/** The CSV as a stream of lines (header first). */
export function jiraSampleCsv(o: SampleOptions): Readable {
  const n = o.commentsPerTicket ?? 4;
  const days = o.days ?? 60;
  const end = (o.end ?? new Date()).getTime();
  const rand = rng(o.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  // Trajectories: how the mood moves over a ticket's conversation.
  const arcs: ((i: number) => readonly string[])[] = [
    (i) => (i < n / 2 ? NEGATIVE : POSITIVE), // improving
    (i) => (i < n / 2 ? NEUTRAL : NEGATIVE), // declining
    () => NEUTRAL, // stable
    (i) => (i % 2 ? POSITIVE : NEGATIVE), // volatile
    () => POSITIVE,
  ];
  let t = 0;
  return Readable.from(
    (function* () {
      yield `${SAMPLE_HEADER(n)}\n`;
      for (; t < o.tickets; t++) {
        const product = pick(PRODUCTS);
        const problem = pick(PROBLEMS);
        const fill = (s: string) => s.replace('{p}', product).replace('{x}', problem);
        const created = end - rand() * days * 86_400_000;
        const arc = pick(arcs);
        const comments: string[] = [];
        let at = created;
        for (let i = 0; i < n; i++) {
          at += rand() * 20 * 3_600_000;
          const author = i % 2 ? pick(AGENTS) : pick(CUSTOMERS);
          comments.push(`${jiraDate(new Date(Math.min(at, end)))};${author};${fill(pick(arc(i)))}`);
        }
        yield (
          [
            `${o.prefix ?? 'SUP'}-${t + 1}`,
            `The ${product} ${problem}`,
            `Since the last update the ${product} ${problem} for several users in our organisation.`,
            pick(STATUSES),
            pick(PRIORITIES),
            pick(AGENTS),
            jiraDate(new Date(created)),
            jiraDate(new Date(Math.min(at, end))),
            ...comments,
          ]
            .map(quote)
            .join(',') + '\n'
        );
      }
    })(),
  );
}
