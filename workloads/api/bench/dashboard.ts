// Dashboard latency benchmark (issue #6): 1M comments on ~100k tickets over a year in a fresh test
// database, the overview and anomalies endpoints called over HTTP (the full koa stack with auth)
// one request at a time, against lower bounds measured in the same run on the same stack: /healthz
// (no auth, no database) and a ticket detail (auth + two indexed lookups). Goal: p95 < 50 ms.
//   BENCH_TICKETS (default 100000), BENCH_COMMENTS_PER_TICKET (10), BENCH_RUNS (200), BENCH_EMBEDDINGS (1: store
//   384-float embeddings as ingest does, so the tickets table has its production size)
import { performance } from 'node:perf_hooks';
import { migrate } from '../src/store/migrations.js';
import { createApiServer } from '../src/server.js';
import { createTestDatabase, testConfig } from '../test/helpers.js';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const PER_TICKET = Number(process.env.BENCH_COMMENTS_PER_TICKET ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = 20;
const EMBEDDINGS = process.env.BENCH_EMBEDDINGS !== '0';
const GOAL_MS = 50;

const tdb = await createTestDatabase('dashbench');
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
try {
  const { db } = tdb;
  let t0 = performance.now();
  // Bulk load as it was before migration 4; re-running it then builds the roll-ups from the loaded rows,
  // which also times its backfill at this size.
  await db.query(
    `DROP TABLE comment_days, ticket_facets; ALTER TABLE tickets DROP COLUMN last_comment_at; DELETE FROM schema_migrations WHERE id = 4`,
  );
  await db.query(
    `INSERT INTO tickets (id, summary, description, status, priority, assignee, created_at, updated_at, embedding, job_id)
     SELECT 'BENCH-' || i, 'Ticket ' || i || ' about ' || (ARRAY['login', 'billing', 'export', 'latency', 'search'])[1 + i % 5],
            'Customer reports a problem with ' || (ARRAY['login', 'billing', 'export', 'latency', 'search'])[1 + i % 5] || ' (case ' || i || ').',
            (ARRAY['Open', 'In Progress', 'Waiting', 'Resolved', 'Closed'])[1 + i % 5],
            (ARRAY['Highest', 'High', 'Medium', 'Low', 'Lowest'])[1 + (i / 7) % 5],
            CASE WHEN i % 13 = 0 THEN NULL ELSE 'agent' || (i % 60) END,
            timestamptz '2024-01-01' + (i % 365) * interval '1 day' + (i % 86400) * interval '1 second',
            timestamptz '2024-01-01' + (i % 365) * interval '1 day' + interval '10 days',
            CASE WHEN $2 THEN array_fill((i % 100)::real / 100, ARRAY[384]) END, 'bench'
     FROM generate_series(1, $1::int) i`,
    [TICKETS, EMBEDDINGS],
  );
  // Each ticket's comments follow its creation over the next days; scores drift by ticket and seq.
  await db.query(
    `INSERT INTO comments (ticket_id, seq, author, created_at, body, label, p_negative, p_neutral, p_positive, score)
     SELECT 'BENCH-' || i, k, 'user' || (i + k) % 500, c.at, 'Comment ' || k || ' on case ' || i || ': still waiting for a fix',
            CASE WHEN s > 0.2 THEN 'positive' WHEN s < -0.2 THEN 'negative' ELSE 'neutral' END,
            (1 - s) / 2, 0, (1 + s) / 2, s
     FROM generate_series(1, $1::int) i, generate_series(0, $2::int - 1) k,
          LATERAL (SELECT timestamptz '2024-01-01' + (i % 365) * interval '1 day' + (i % 86400) * interval '1 second'
                          + k * interval '31 hours' AS at,
                          (greatest(-1, least(1, sin(i * 0.7 + k) * 0.8 + (random() - 0.5) * 0.4)))::real AS s) c`,
    [TICKETS, PER_TICKET],
  );
  console.log(`seeded ${TICKETS} tickets and ${TICKETS * PER_TICKET} comments in ${seconds(t0)} s`);
  // The tickets' roll-up columns, as ingest would have set them (score from the comments, trend by position).
  t0 = performance.now();
  await db.query(
    `UPDATE tickets t SET sentiment_score = a.score,
            sentiment_label = CASE WHEN a.score > 0.2 THEN 'positive' WHEN a.score < -0.2 THEN 'negative' ELSE 'neutral' END,
            trend = (ARRAY['improving', 'declining', 'stable', 'volatile'])[1 + (hashtext(t.id) & 3)]
     FROM (SELECT ticket_id, avg(score) AS score FROM comments GROUP BY ticket_id) a WHERE a.ticket_id = t.id`,
  );
  console.log(`ticket roll-up columns: ${seconds(t0)} s`);
  t0 = performance.now();
  await migrate(db);
  console.log(`migration 4 (roll-up backfill) over the loaded rows: ${seconds(t0)} s`);
  t0 = performance.now();
  await db.query('VACUUM ANALYZE tickets');
  await db.query('VACUUM ANALYZE comments');
  await db.query('VACUUM ANALYZE comment_days');
  console.log(`vacuum analyze: ${seconds(t0)} s`);

  const api = await createApiServer(testConfig({ DATABASE_URL: tdb.url }), { db });
  try {
    const base = await api.listen(0);
    const token = await api.deps.tokens.issue('bench', 'viewer');
    const measure = async (path: string, auth = true) => {
      const call = async () => {
        const t = performance.now();
        const res = await fetch(base + path, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        return performance.now() - t;
      };
      for (let i = 0; i < WARMUP; i++) await call();
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) ms.push(await call());
      ms.sort((a, b) => a - b);
      const q = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)]!;
      return { path, p50: q(50), p95: q(95), p99: q(99) };
    };
    const floor = await measure('/healthz', false);
    const detail = await measure(`/v1/tickets/BENCH-${Math.ceil(TICKETS / 2)}`);
    const rows = [
      floor,
      detail,
      await measure('/v1/dashboard/overview'),
      await measure('/v1/dashboard/anomalies'),
      await measure('/v1/dashboard/anomalies?window=30&threshold=3'),
      await measure('/v1/dashboard/overview?from=2024-06-01&to=2024-06-30'),
      await measure('/v1/dashboard/overview?from=2024-01-01&to=2024-12-31'),
    ];
    const f = (x: number) => x.toFixed(2).padStart(8);
    console.log(`\n${RUNS} sequential requests each after ${WARMUP} warm-up; milliseconds`);
    console.log(`${'path'.padEnd(58)}      p50      p95      p99  p95/${GOAL_MS}ms  p95/healthz  p95/detail`);
    for (const r of rows) {
      console.log(
        `${r.path.padEnd(58)} ${f(r.p50)} ${f(r.p95)} ${f(r.p99)} ${(r.p95 / GOAL_MS).toFixed(2).padStart(10)} ${(r.p95 / floor.p95).toFixed(1).padStart(12)} ${(r.p95 / detail.p95).toFixed(1).padStart(11)}`,
      );
    }
  } finally {
    await api.close();
  }
} finally {
  await tdb.drop();
}
