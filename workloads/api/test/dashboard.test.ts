// Dashboard, anomalies, ticket trajectory and reports on the real Postgres test database (and the same
// store queries on PGlite, local mode's database). Seeded through upsertTickets with known scores and
// dates; expectations are computed from the seed here, independently of the SQL.
import test from 'ava';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { meResponse } from '../src/routes/auth.js';
import { anomaliesResponse, overviewResponse } from '../src/routes/dashboard.js';
import { jobList } from '../src/routes/jobs.js';
import { ticketDetail, ticketPage } from '../src/routes/tickets.js';
import type { ApiServer } from '../src/server.js';
import { createApiServer } from '../src/server.js';
import type { Scored } from '../src/ml-client.js';
import type { TicketInput } from '../src/jira/mapping.js';
import { migrate } from '../src/store/migrations.js';
import { createPgliteDb } from '../src/store/pglite-db.js';
import { MIN_SWING, anomalies, overview, reportRows, type Overview } from '../src/store/dashboard.js';
import { rollUp } from '../src/store/rollup.js';
import { upsertTickets, type ScoredTicket } from '../src/store/tickets.js';
import type { Db } from '../src/store/db.js';
import { createTestDatabase, testConfig, type TestDatabase } from './helpers.js';

// ---- seed ---------------------------------------------------------------------------------------

const scored = (score: number): Scored => ({
  label: score > 0.2 ? 'positive' : score < -0.2 ? 'negative' : 'neutral',
  probabilities: { negative: (1 - score) / 2, neutral: 0, positive: (1 + score) / 2 },
  score,
});

interface SeedTicket {
  input: TicketInput;
  scores: number[];
}

const PRIORITIES = ['High', 'Medium', 'Low', null];
const STATUSES = ['Open', 'Closed', 'In Progress'];
const ASSIGNEES = ['alice', 'bob', 'carol', 'dave', null];
const NEGATIVE_DAY = '2024-03-15';
const SPARSE_DAY = '2024-03-08';
const day = (i: number) => new Date(Date.UTC(2024, 2, 1 + i)).toISOString().slice(0, 10);

function ticket(
  id: string,
  n: number,
  comments: { at: string; score: number }[],
  summary = `ticket ${id}`,
): SeedTicket {
  return {
    input: {
      id,
      summary,
      description: `about ${id}`,
      status: STATUSES[n % STATUSES.length]!,
      priority: PRIORITIES[n % PRIORITIES.length]!,
      assignee: ASSIGNEES[n % ASSIGNEES.length]!,
      createdAt: new Date(comments[0]?.at ?? '2024-01-01T00:00:00Z'),
      updatedAt: new Date(comments.at(-1)?.at ?? '2024-01-01T00:00:00Z'),
      comments: comments.map((c, k) => ({
        at: new Date(c.at),
        author: `user${k}`,
        text: `comment ${k} on ${id}`,
      })),
    },
    scores: comments.map((c) => c.score),
  };
}

/** The other days' means: 0.19 and 0.21 by turns, so no calm day is 2 standard deviations off its trailing week. */
const calmMean = (i: number) => 0.2 + (i % 2 ? 0.01 : -0.01);

/** 20 days of March 2024: three tickets a day, each with a comment at the day's first and last second. */
function seed(): SeedTicket[] {
  const out: SeedTicket[] = [];
  let n = 0;
  for (let i = 0; i < 20; i++) {
    const d = day(i);
    if (d === SPARSE_DAY) {
      // Too few comments to judge: very negative, yet neither flagged nor part of any baseline.
      out.push(
        ticket(`S-${i}`, n++, [
          { at: `${d}T00:00:00Z`, score: -0.9 },
          { at: `${d}T23:59:59Z`, score: -0.9 },
        ]),
      );
      continue;
    }
    const mean = d === NEGATIVE_DAY ? -0.8 : calmMean(i);
    for (let k = 0; k < 3; k++) {
      const spread = d === NEGATIVE_DAY ? 0.1 : 0.3 * (k - 1);
      out.push(
        ticket(`D-${i}-${k}`, n++, [
          { at: `${d}T00:00:00Z`, score: mean - spread },
          { at: `${d}T23:59:59Z`, score: mean + spread },
        ]),
      );
    }
  }
  // Long conversations in January (outside the March days): every trend, and formula/quote text for the CSV.
  out.push(
    ticket(
      'V-1',
      n++,
      [0.9, -0.9, 0.9, -0.9, 0.9].map((score, k) => ({ at: `2024-01-0${k + 1}T12:00:00Z`, score })),
      '=HYPERLINK("http://evil.example","click")',
    ),
  );
  out.push(
    ticket(
      'I-1',
      n++,
      [-0.8, -0.6, 0.4, 0.6].map((score, k) => ({ at: `2024-01-1${k}T12:00:00Z`, score })),
      'says "hi", then\nleaves',
    ),
  );
  out.push(
    ticket(
      'W-1',
      n++,
      [0.6, 0.2, -0.5, -0.7, -0.95, -0.95].map((score, k) => ({ at: `2024-01-2${k}T12:00:00Z`, score })),
      "'); DROP TABLE tickets;--",
    ),
  );
  out.push(ticket('E-1', n++, [], '@SUM(1+1)'));
  // Comments on both sides of a range end: its 03-11 comment counts there, the ticket itself on 03-25.
  out.push(
    ticket('X-1', n++, [
      { at: '2024-03-11T12:00:00Z', score: calmMean(10) },
      { at: '2024-03-25T12:00:00Z', score: calmMean(10) },
    ]),
  );
  return out;
}

const SEED = seed();
const asScored = (s: SeedTicket): ScoredTicket => ({
  ticket: s.input,
  sentiment: s.scores.map(scored),
  embedding: null,
});

// ---- reference figures, from the seed ------------------------------------------------------------

const f32 = Math.fround;
const rolled = (s: SeedTicket) => rollUp(s.scores);
const labelOf = (score: number) => (score > 0.2 ? 'positive' : score < -0.2 ? 'negative' : 'neutral');

function inRange(at: Date, from?: string, to?: string): boolean {
  const d = at.toISOString().slice(0, 10);
  return (!from || d >= from) && (!to || d <= to);
}

function expectedOverview(from?: string, to?: string) {
  const bounded = Boolean(from || to);
  // Tickets count in the range of their latest comment.
  const latest = (s: SeedTicket) => new Date(Math.max(...s.input.comments.map((c) => c.at.getTime())));
  const tickets = SEED.filter(
    (s) => !bounded || (s.input.comments.length > 0 && inRange(latest(s), from, to)),
  );
  const comments = SEED.flatMap((s) =>
    s.input.comments.map((c, k) => ({ at: c.at, score: s.scores[k]! })),
  ).filter((c) => inRange(c.at, from, to));
  const byDay = new Map<string, number[]>();
  for (const c of comments) {
    const d = c.at.toISOString().slice(0, 10);
    byDay.set(d, [...(byDay.get(d) ?? []), c.score]);
  }
  const count = (xs: number[], l: string) => xs.filter((x) => scored(x).label === l).length;
  const group = (key: (s: SeedTicket) => string | null) => {
    const m = new Map<string | null, SeedTicket[]>();
    for (const s of tickets) m.set(key(s), [...(m.get(key(s)) ?? []), s]);
    return [...m]
      .map(([k, ts]) => {
        const scores = ts.map((s) => rolled(s).score).filter((x): x is number => x !== null);
        return {
          key: k,
          tickets: ts.length,
          avgScore: scores.length ? scores.reduce((a, b) => a + f32(b), 0) / scores.length : null,
          negative: scores.filter((x) => labelOf(x) === 'negative').length,
        };
      })
      .sort((a, b) => b.tickets - a.tickets || String(a.key).localeCompare(String(b.key)));
  };
  const all = comments.map((c) => c.score);
  return {
    totals: { tickets: tickets.length, comments: comments.length },
    distribution: {
      negative: count(all, 'negative'),
      neutral: count(all, 'neutral'),
      positive: count(all, 'positive'),
    },
    ticketDistribution: Object.fromEntries(
      ['negative', 'neutral', 'positive'].map((l) => [
        l,
        tickets.filter((s) => rolled(s).score !== null && labelOf(rolled(s).score!) === l).length,
      ]),
    ),
    trends: Object.fromEntries(
      ['improving', 'declining', 'stable', 'volatile'].map((t) => [
        t,
        tickets.filter((s) => rolled(s).trend === t).length,
      ]),
    ),
    trendByDay: [...byDay]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([d, xs]) => ({
        day: d,
        comments: xs.length,
        avgScore: xs.reduce((a, b) => a + f32(b), 0) / xs.length,
        negative: count(xs, 'negative'),
        neutral: count(xs, 'neutral'),
        positive: count(xs, 'positive'),
      })),
    byPriority: group((s) => s.input.priority),
    byStatus: group((s) => s.input.status),
    byAssignee: group((s) => s.input.assignee).slice(0, 20),
    topNegative: tickets
      .filter((s) => rolled(s).score !== null && labelOf(rolled(s).score!) === 'negative')
      .sort((a, b) => f32(rolled(a).score!) - f32(rolled(b).score!) || a.input.id.localeCompare(b.input.id))
      .slice(0, 10)
      .map((s) => s.input.id),
  };
}

/** Paths where `actual` and `expected` differ; numbers within 1e-6 count as equal (float4 storage, summation order). */
function differences(actual: unknown, expected: unknown, path = '$'): string[] {
  if (typeof actual === 'number' && typeof expected === 'number')
    return Math.abs(actual - expected) < 1e-6 ? [] : [`${path}: ${actual} != ${expected}`];
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return [`${path}: length ${actual.length} != ${expected.length}`];
    return actual.flatMap((a, i) => differences(a, expected[i], `${path}[${i}]`));
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])];
    return keys.flatMap((k) =>
      differences(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
      ),
    );
  }
  return Object.is(actual, expected)
    ? []
    : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}

/** The overview with topNegative reduced to ids, as expectedOverview gives it. */
const comparable = (o: Overview) => ({ ...o, topNegative: o.topNegative.map((t) => t.id) });

// ---- server ---------------------------------------------------------------------------------------

let tdb: TestDatabase;
let api: ApiServer;
let base: string;
let viewer: string;

test.before(async () => {
  tdb = await createTestDatabase('dashboard');
  api = await createApiServer(testConfig({ DATABASE_URL: tdb.url, SENTIMENT_PLATFORM: 'acme-support' }), {
    db: tdb.db,
  });
  base = await api.listen(0);
  viewer = await api.deps.tokens.issue('viewer@example', 'viewer');
  await tdb.db.transaction((tx) => upsertTickets(tx, SEED.map(asScored), 'seed'));
});

test.after.always(async () => {
  await api?.close();
  await tdb?.drop();
});

const get = (path: string, token: string | null = viewer) =>
  fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const getJson = async <T>(path: string): Promise<T> => {
  const res = await get(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

// ---- tests ------------------------------------------------------------------------------------------

test.serial('overview: exact figures over everything', async (t) => {
  const o = await getJson<Overview>('/v1/dashboard/overview');
  t.deepEqual(differences(comparable(o), expectedOverview()), []);
  // Spot checks that do not go through the reference code above.
  t.is(o.totals.tickets, SEED.length);
  t.is(o.totals.comments, 19 * 6 + 2 + 5 + 4 + 6 + 2);
  // 18 calm days with one improving and one declining ticket each, plus I-1, W-1 and the volatile V-1.
  t.deepEqual(o.trends, { improving: 19, declining: 19, stable: SEED.length - 39, volatile: 1 });
  // Ties (the negative day's three equal tickets) go by id.
  t.deepEqual(
    o.topNegative.map((x) => x.id),
    ['S-7', 'D-14-0', 'D-14-1', 'D-14-2', 'W-1'],
  );
  t.is(o.topNegative.find((x) => x.id === 'W-1')!.summary, "'); DROP TABLE tickets;--");
  t.is(o.trendByDay.find((d) => d.day === NEGATIVE_DAY)!.avgScore! < -0.79, true);
});

test.serial(
  'overview: from/to bound comment days inclusively (UTC), tickets by their latest comment',
  async (t) => {
    const o = await getJson<Overview>('/v1/dashboard/overview?from=2024-03-10&to=2024-03-12');
    t.deepEqual(differences(comparable(o), expectedOverview('2024-03-10', '2024-03-12')), []);
    t.deepEqual(
      o.trendByDay.map((d) => d.day),
      ['2024-03-10', '2024-03-11', '2024-03-12'],
    );
    // X-1's comment of 03-11 counts; X-1 itself belongs to 03-25.
    t.deepEqual(o.totals, { tickets: 9, comments: 19 });
    const open = await getJson<Overview>('/v1/dashboard/overview?from=2024-03-19');
    t.deepEqual(differences(comparable(open), expectedOverview('2024-03-19')), []);
    const january = await getJson<Overview>('/v1/dashboard/overview?to=2024-01-31');
    t.deepEqual(
      january.topNegative.map((x) => x.id),
      ['W-1'],
    );
    t.is(january.totals.tickets, 3);
    const empty = await getJson<Overview>('/v1/dashboard/overview?from=2030-01-01');
    t.deepEqual(empty.totals, { tickets: 0, comments: 0 });
    t.deepEqual(empty.trendByDay, []);
  },
);

interface Anomalies {
  window: number;
  threshold: number;
  items: {
    day: string;
    avgScore: number;
    comments: number;
    trailingMean: number;
    trailingStd: number;
    z: number;
    direction: string;
  }[];
}

test.serial('anomalies: the negative day is flagged, calm and sparse days are not', async (t) => {
  const a = await getJson<Anomalies>('/v1/dashboard/anomalies');
  t.is(a.window, 7);
  t.is(a.threshold, 2);
  t.deepEqual(
    a.items.map((i) => i.day),
    [NEGATIVE_DAY],
  );
  const [flag] = a.items;
  // Reference: the previous 7 calendar days' daily means, minus the sparse day.
  const means = [];
  for (let i = 7; i <= 13; i++) if (day(i) !== SPARSE_DAY) means.push(calmMean(i));
  const m = means.reduce((x, y) => x + y, 0) / means.length;
  const sd = Math.sqrt(means.reduce((x, y) => x + (y - m) ** 2, 0) / (means.length - 1));
  t.like(flag, { day: NEGATIVE_DAY, comments: 6, direction: 'negative' });
  t.true(Math.abs(flag!.avgScore - -0.8) < 1e-6);
  t.true(Math.abs(flag!.trailingMean - m) < 1e-6);
  t.true(Math.abs(flag!.trailingStd - sd) < 1e-6);
  t.true(Math.abs(flag!.z - (-0.8 - m) / sd) < 1e-3);
  // A bound narrows the reported days; the baseline still reaches back before it.
  t.deepEqual(await getJson<Anomalies>(`/v1/dashboard/anomalies?from=${NEGATIVE_DAY}&to=${NEGATIVE_DAY}`), a);
  t.deepEqual((await getJson<Anomalies>('/v1/dashboard/anomalies?from=2024-03-16')).items, []);
  t.deepEqual((await getJson<Anomalies>('/v1/dashboard/anomalies?to=2024-03-14')).items, []);
  // With a window of 60 the calm days' spread is wider, but the negative day still stands out.
  const wide = await getJson<Anomalies>('/v1/dashboard/anomalies?window=60&threshold=5');
  t.deepEqual(
    wide.items.map((i) => [i.day, i.direction]),
    [[NEGATIVE_DAY, 'negative']],
  );
});

test.serial(
  'anomalies: a calm day a hair off its baseline is no swing, however small the baseline σ',
  async (t) => {
    // The calm days alternate 0.19 / 0.21: some sit over 1σ from their trailing mean, only ~0.01 away from it.
    const offBy = (i: number) => {
      const before = [];
      for (let j = Math.max(0, i - 7); j < i; j++) if (day(j) !== SPARSE_DAY) before.push(calmMean(j));
      const m = before.reduce((x, y) => x + y, 0) / before.length;
      const sd = Math.sqrt(before.reduce((x, y) => x + (y - m) ** 2, 0) / (before.length - 1));
      return { dev: Math.abs(calmMean(i) - m), z: Math.abs(calmMean(i) - m) / sd };
    };
    const tiny = [9, 10, 11, 12, 13].map(offBy).filter((o) => o.z >= 1);
    t.true(tiny.length > 0 && tiny.every((o) => o.dev < MIN_SWING), 'the fixture has such days');
    const a = await getJson<Anomalies>('/v1/dashboard/anomalies?threshold=1');
    t.deepEqual(
      a.items.map((i) => i.day),
      [NEGATIVE_DAY],
    );
  },
);

test.serial('dashboard: viewer access, 400 on bad parameters, injection attempts inert', async (t) => {
  for (const path of [
    '/v1/dashboard/overview',
    '/v1/dashboard/anomalies',
    '/v1/reports/summary.csv',
    '/v1/reports/summary.pdf',
  ]) {
    t.is((await get(path, null)).status, 401, path);
    t.is((await get(path, 'not-a-token')).status, 401, path);
  }
  const bad = [
    '/v1/dashboard/overview?from=2024-13-01',
    '/v1/dashboard/overview?from=2024-02-30',
    '/v1/dashboard/overview?from=2024-03-02&to=2024-03-01',
    '/v1/dashboard/overview?from=2024-03-01&from=2024-03-02',
    `/v1/dashboard/overview?from=${encodeURIComponent("2024-03-01' OR '1'='1")}`,
    '/v1/dashboard/anomalies?window=2',
    '/v1/dashboard/anomalies?window=61',
    '/v1/dashboard/anomalies?window=7.5',
    '/v1/dashboard/anomalies?threshold=0.5',
    '/v1/dashboard/anomalies?threshold=6',
    `/v1/dashboard/anomalies?window=${encodeURIComponent('7; DROP TABLE tickets')}`,
    '/v1/reports/summary.csv?to=yesterday',
    '/v1/reports/summary.pdf?from=2024-03-02&to=2024-03-01',
  ];
  for (const path of bad) {
    const res = await get(path);
    t.is(res.status, 400, path);
    t.truthy(((await res.json()) as { error?: string }).error, path);
  }
  t.regex(
    ((await (await get('/v1/dashboard/overview?from=2024-03-02&to=2024-03-01')).json()) as { error: string })
      .error,
    /from must not be after to/,
  );
  // Unknown parameters are ignored, and the tables are all still there.
  t.is((await get('/v1/dashboard/overview?x=1;DROP%20TABLE%20comments')).status, 200);
  const counts = (
    await tdb.db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM tickets)::int + (SELECT count(*) FROM comments)::int AS n',
    )
  ).rows[0]!;
  t.is(counts.n, SEED.length + SEED.reduce((a, s) => a + s.scores.length, 0));
});

test.serial('ticket detail: trajectory is the roll-up after each comment', async (t) => {
  const d = await getJson<{
    sentiment_score: number;
    comments: unknown[];
    trajectory: { seq: number; at: string; score: number; rolling: number }[];
  }>('/v1/tickets/W-1');
  const w = SEED.find((s) => s.input.id === 'W-1')!;
  t.is(d.comments.length, w.scores.length);
  t.deepEqual(
    d.trajectory.map((p) => p.seq),
    w.scores.map((_s, i) => i),
  );
  t.deepEqual(
    d.trajectory.map((p) => p.at),
    w.input.comments.map((c) => c.at.toISOString()),
  );
  d.trajectory.forEach((p, i) => {
    t.true(Math.abs(p.score - w.scores[i]!) < 1e-6);
    // Against the full prefix: the route cuts prefixes to the roll-up window, which must not change the value.
    t.true(Math.abs(p.rolling - rollUp(w.scores.slice(0, i + 1)).score!) < 1e-9, `rolling at ${i}`);
  });
  t.true(Math.abs(d.trajectory.at(-1)!.rolling - d.sentiment_score) < 1e-6);
  t.deepEqual((await getJson<{ trajectory: unknown[] }>('/v1/tickets/E-1')).trajectory, []);
});

test.serial('responses are what their route schemas (so the document and the dashboard) say', async (t) => {
  const conforms = async <S extends z.ZodType>(schema: S, path: string) => {
    const body = await getJson<z.infer<S>>(path);
    const parsed = schema.safeParse(body);
    t.true(parsed.success, `${path}: ${parsed.error?.message}`);
    // A zod object drops the keys it does not know: equal means the answer has none beyond the schema.
    t.deepEqual(parsed.data, body, path);
    return body;
  };
  const o = await conforms(overviewResponse, '/v1/dashboard/overview');
  // Tickets without a priority are one group whose key is null (the schema says nullable), not "null".
  t.is(
    o.byPriority.find((g) => g.key === null)?.tickets,
    SEED.filter((s) => s.input.priority === null).length,
  );
  t.false(o.byPriority.some((g) => g.key === 'null'));
  await conforms(overviewResponse, '/v1/dashboard/overview?from=2024-03-10&to=2024-03-12');
  await conforms(anomaliesResponse, '/v1/dashboard/anomalies');
  await conforms(ticketPage, '/v1/tickets?limit=200');
  await conforms(ticketDetail, '/v1/tickets/W-1');
  await conforms(ticketDetail, '/v1/tickets/E-1');
  await conforms(jobList, '/v1/jobs');
  await conforms(meResponse, '/v1/me');
});

test.serial('report CSV: one row per ticket in scope, parses back, formulas defused', async (t) => {
  const res = await get('/v1/reports/summary.csv');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/csv/);
  t.regex(
    res.headers.get('content-disposition') ?? '',
    /^attachment; filename="sentiment-summary-acme-support\.csv"$/,
  );
  const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
  t.deepEqual(rows.map((r) => r.id).sort(), SEED.map((s) => s.input.id).sort());
  const by = (id: string) => rows.find((r) => r.id === id)!;
  t.is(by('V-1').summary, `'=HYPERLINK("http://evil.example","click")`);
  t.is(by('E-1').summary, "'@SUM(1+1)");
  t.is(by('I-1').summary, 'says "hi", then\nleaves');
  t.is(by('W-1').summary, "'); DROP TABLE tickets;--");
  // Numbers stay numbers: a negative score is not mistaken for a formula.
  t.true(
    Math.abs(Number(by('W-1').sentiment_score) - rolled(SEED.find((s) => s.input.id === 'W-1')!).score!) <
      1e-6,
  );
  t.like(by('W-1'), {
    sentiment_label: 'negative',
    trend: 'declining',
    comments: '6',
    priority: SEED.find((s) => s.input.id === 'W-1')!.input.priority ?? '',
  });
  t.is(by('E-1').sentiment_score, '');

  const scoped = await get('/v1/reports/summary.csv?from=2024-03-10&to=2024-03-10');
  t.regex(
    scoped.headers.get('content-disposition') ?? '',
    /filename="sentiment-summary-acme-support-2024-03-10_2024-03-10\.csv"/,
  );
  t.deepEqual(
    (parse(await scoped.text(), { columns: true }) as Record<string, string>[]).map((r) => r.id).sort(),
    ['D-9-0', 'D-9-1', 'D-9-2'],
  );
});

test.serial('report rows page through every ticket once (keyset pages)', async (t) => {
  const ids: string[] = [];
  for await (const r of reportRows(tdb.db, {}, 7)) ids.push(r.id);
  const all = (await tdb.db.query<{ id: string }>('SELECT id FROM tickets ORDER BY id')).rows.map(
    (r) => r.id,
  );
  t.deepEqual(ids, all);
});

test.serial('report PDF: an attachment that is a PDF naming the platform', async (t) => {
  const res = await get('/v1/reports/summary.pdf?from=2024-03-01');
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/pdf');
  t.regex(
    res.headers.get('content-disposition') ?? '',
    /^attachment; filename="sentiment-summary-acme-support-2024-03-01_now\.pdf"$/,
  );
  const body = Buffer.from(await res.arrayBuffer());
  t.is(body.subarray(0, 5).toString('latin1'), '%PDF-');
  t.true(body.subarray(-8).toString('latin1').includes('%%EOF'));
  t.true(body.toString('latin1').includes('Sentiment summary: acme-support'));
});

test.serial('PGlite (local mode) runs the same queries with the same answers', async (t) => {
  const lite = await createPgliteDb();
  try {
    await migrate(lite);
    await lite.transaction((tx) => upsertTickets(tx, SEED.map(asScored), 'seed'));
    const sameAs = async (db: Pick<Db, 'query'>) => ({
      all: comparable(await overview(db, {})),
      range: comparable(await overview(db, { from: '2024-03-10', to: '2024-03-12' })),
      anomalies: (await anomalies(db, { window: 7, threshold: 2 })).map((a) => a.day),
    });
    const onLite = await sameAs(lite);
    t.deepEqual(differences(onLite.all, expectedOverview()), []);
    t.deepEqual(differences(onLite, await sameAs(tdb.db)), []);
  } finally {
    await lite.close();
  }
});

// Last: it adds and empties tickets, which the figures above do not expect.
test.serial(
  'roll-ups: re-upserts subtract the old and add the new exactly, also concurrently; migration backfill agrees',
  async (t) => {
    /** Where a roll-up differs from the same sums computed afresh (empty: none). */
    const drift = async () =>
      (
        await tdb.db.query<{ what: string }>(
          `WITH days AS (
           SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS comments, count(score)::int AS scored,
                  COALESCE(sum(score::numeric), 0) AS score_sum, count(*) FILTER (WHERE label = 'negative')::int AS negative,
                  count(*) FILTER (WHERE label = 'neutral')::int AS neutral, count(*) FILTER (WHERE label = 'positive')::int AS positive
           FROM comments GROUP BY 1
         ), facets AS (
           SELECT (last_comment_at AT TIME ZONE 'UTC')::date AS day, f.dim, f.key, count(*)::int AS tickets,
                  count(sentiment_score)::int AS scored, COALESCE(sum(sentiment_score::numeric), 0) AS score_sum,
                  count(*) FILTER (WHERE sentiment_label = 'negative')::int AS negative
           FROM tickets CROSS JOIN LATERAL (VALUES ('label', sentiment_label), ('trend', trend), ('priority', priority),
                                                   ('status', status), ('assignee', assignee)) AS f (dim, key)
           GROUP BY 1, 2, 3
         )
         SELECT 'comment_days ' || COALESCE(f.day, d.day) AS what
         FROM days f FULL JOIN (SELECT * FROM comment_days WHERE comments <> 0) d USING (day)
         WHERE (f.comments, f.scored, f.score_sum, f.negative, f.neutral, f.positive)
               IS DISTINCT FROM (d.comments, d.scored, d.score_sum, d.negative, d.neutral, d.positive)
         UNION ALL
         SELECT 'ticket_facets ' || COALESCE(f.day, d.day) || ' ' || COALESCE(f.dim, d.dim) || '=' || COALESCE(f.key, d.key, '(null)')
         FROM facets f FULL JOIN (SELECT * FROM ticket_facets WHERE tickets <> 0) d
           ON f.day IS NOT DISTINCT FROM d.day AND f.dim = d.dim AND f.key IS NOT DISTINCT FROM d.key
         WHERE (f.tickets, f.scored, f.score_sum, f.negative) IS DISTINCT FROM (d.tickets, d.scored, d.score_sum, d.negative)
         UNION ALL
         SELECT 'last_comment_at ' || id FROM tickets t
         WHERE last_comment_at IS DISTINCT FROM (SELECT max(created_at) FROM comments c WHERE c.ticket_id = t.id)`,
        )
      ).rows.map((r) => r.what);
    t.deepEqual(await drift(), []);
    // Bounded: the added tickets end up without comments, outside every range.
    const year = '/v1/dashboard/overview?from=2024-01-01&to=2024-12-31';
    const before = await getJson<Overview>(year);

    // Extra tickets in April, moved between days and attributes, shrunk and emptied, in concurrent
    // transactions that touch the same days in opposite orders, and the same ticket at once.
    const april = (i: number) => `2024-04-${String(i).padStart(2, '0')}`;
    const batch = (prefix: string, days: number[], score: number, shift = 0) =>
      days.map((d, k) =>
        asScored(
          ticket(`${prefix}-${k}`, k + shift, [
            { at: `${april(d)}T10:00:00Z`, score },
            { at: `${april(d + 1)}T10:00:00Z`, score: -score / 2 },
          ]),
        ),
      );
    await Promise.all([
      tdb.db.transaction((tx) => upsertTickets(tx, batch('A', [1, 2, 3, 4, 5, 6], 0.5), 'a')),
      tdb.db.transaction((tx) => upsertTickets(tx, batch('B', [6, 5, 4, 3, 2, 1], -0.6), 'b')),
    ]);
    t.deepEqual(await drift(), []);
    await tdb.db.transaction(async (tx) => {
      await upsertTickets(
        tx,
        [asScored(ticket('A-0', 7, [{ at: `${april(20)}T10:00:00Z`, score: 0.9 }]))],
        'moved',
      );
      await upsertTickets(tx, [asScored(ticket('A-1', 0, []))], 'emptied');
    });
    t.deepEqual(await drift(), []);
    const moved = await getJson<Overview>('/v1/dashboard/overview?from=2024-04-20&to=2024-04-20');
    t.like(moved.trendByDay, [{ day: april(20), comments: 1, negative: 0, neutral: 0, positive: 1 }]);
    t.like(moved, {
      totals: { tickets: 1, comments: 1 },
      ticketDistribution: { negative: 0, neutral: 0, positive: 1 },
    });
    t.deepEqual(
      moved.byPriority.map((p) => [p.key, p.tickets]),
      [[PRIORITIES[7 % PRIORITIES.length]!, 1]],
    );
    await Promise.all([
      tdb.db.transaction((tx) => upsertTickets(tx, batch('A', [3, 2], -0.9, 1), 'again')),
      tdb.db.transaction((tx) => upsertTickets(tx, batch('B', [2, 3], 0.2, 2), 'again')),
      tdb.db.transaction((tx) => upsertTickets(tx, batch('A', [9], 0.7, 3), 'same ticket')),
      tdb.db.transaction((tx) => upsertTickets(tx, batch('A', [8], 0.1, 4), 'same ticket')),
    ]);
    t.deepEqual(await drift(), []);
    const o = await getJson<Overview>('/v1/dashboard/overview?from=2024-04-01&to=2024-04-30');
    const fresh = (
      await tdb.db.query<{ comments: number; tickets: number }>(
        `SELECT (SELECT count(*)::int FROM comments WHERE created_at >= '2024-04-01') AS comments,
              (SELECT count(*)::int FROM tickets WHERE last_comment_at >= '2024-04-01') AS tickets`,
      )
    ).rows[0]!;
    t.deepEqual(o.totals, fresh);
    t.false(o.trendByDay.some((d) => d.day === april(20)));

    // Empty them again: the figures are the ones from before, and emptied days vanish from the trend.
    await tdb.db.transaction(async (tx) => {
      const added = (await tx.query<{ id: string }>(`SELECT id FROM tickets WHERE id ~ '^[AB]-'`)).rows;
      await upsertTickets(
        tx,
        added.map((g) => asScored(ticket(g.id, 0, []))),
        'cleanup',
      );
    });
    t.deepEqual(await drift(), []);
    t.deepEqual(differences(await getJson<Overview>(year), before), []);

    // The migration's backfill computes the same roll-ups from the rows.
    const snapshot = async () => ({
      days: (
        await tdb.db.query(
          'SELECT day::text, comments, scored, score_sum::float8, negative, neutral, positive FROM comment_days WHERE comments <> 0 ORDER BY day',
        )
      ).rows,
      facets: (
        await tdb.db.query(
          'SELECT day::text, dim, key, tickets, scored, score_sum::float8, negative FROM ticket_facets WHERE tickets <> 0 ORDER BY 1, 2, 3',
        )
      ).rows,
      last: (await tdb.db.query('SELECT id, last_comment_at FROM tickets ORDER BY id')).rows,
    });
    const kept = await snapshot();
    await tdb.db.query(
      `DROP TABLE comment_days, ticket_facets; ALTER TABLE tickets DROP COLUMN last_comment_at; DELETE FROM schema_migrations WHERE id = 4`,
    );
    t.deepEqual(await migrate(tdb.db), [4]);
    t.deepEqual(await snapshot(), kept);
  },
);
