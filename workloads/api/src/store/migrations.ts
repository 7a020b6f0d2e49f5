// Forward-only migrations, applied in order inside one transaction each and recorded in
// schema_migrations. An advisory lock keeps concurrently starting replicas from racing.
import type { Db } from './db.js';

const MIGRATIONS: { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: 'core schema',
    sql: `
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE jobs (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('csv', 'json')),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed')),
  source text NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  rows_read integer NOT NULL DEFAULT 0,
  rows_scored integer NOT NULL DEFAULT 0,
  rows_indexed integer NOT NULL DEFAULT 0,
  -- Rows before this offset are durably stored: a resumed worker starts here.
  checkpoint integer NOT NULL DEFAULT 0,
  errors jsonb NOT NULL DEFAULT '[]',
  error_count integer NOT NULL DEFAULT 0,
  failure text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tickets (
  id text PRIMARY KEY,
  summary text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  status text,
  priority text,
  assignee text,
  created_at timestamptz,
  updated_at timestamptz,
  sentiment_score real,
  sentiment_label text,
  trend text CHECK (trend IN ('improving', 'declining', 'stable', 'volatile')),
  embedding real[],
  job_id text,
  ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_score ON tickets (sentiment_score);
CREATE INDEX tickets_status ON tickets (status);
CREATE INDEX tickets_priority ON tickets (priority);
CREATE INDEX tickets_assignee ON tickets (assignee);
CREATE TABLE comments (
  ticket_id text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  author text NOT NULL,
  created_at timestamptz NOT NULL,
  body text NOT NULL,
  label text,
  p_negative real,
  p_neutral real,
  p_positive real,
  score real,
  PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX comments_day ON comments (created_at);
`,
  },
  {
    id: 3,
    name: 'full-text search vectors',
    // Generated columns keep the vectors in step with every write path. A tsvector is capped at 1 MB,
    // so only the head of long text is searchable (100k characters stay well under it).
    sql: `
ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, summary), 'A') ||
  setweight(to_tsvector('english'::regconfig, left(description, 100000)), 'B')
) STORED;
CREATE INDEX tickets_search ON tickets USING gin (search_vector);
ALTER TABLE comments ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  to_tsvector('english'::regconfig, left(body, 100000))
) STORED;
CREATE INDEX comments_search ON comments USING gin (search_vector);
`,
  },
  {
    id: 4,
    name: 'dashboard roll-ups',
    // Sums kept up to date by upsertTickets (store/rollups.ts, same expressions), backfilled here.
    // last_comment_at places a ticket in time: ticket figures for a range count the tickets whose
    // latest comment falls in it.
    sql: `
CREATE TABLE comment_days (
  day date PRIMARY KEY,
  comments integer NOT NULL,
  scored integer NOT NULL,
  score_sum numeric NOT NULL,
  negative integer NOT NULL,
  neutral integer NOT NULL,
  positive integer NOT NULL
);
INSERT INTO comment_days
SELECT (created_at AT TIME ZONE 'UTC')::date, count(*), count(score), COALESCE(sum(score::numeric), 0),
       count(*) FILTER (WHERE label = 'negative'), count(*) FILTER (WHERE label = 'neutral'),
       count(*) FILTER (WHERE label = 'positive')
FROM comments GROUP BY 1;
ALTER TABLE tickets ADD COLUMN last_comment_at timestamptz;
UPDATE tickets t SET last_comment_at = c.last
FROM (SELECT ticket_id, max(created_at) AS last FROM comments GROUP BY ticket_id) c WHERE c.ticket_id = t.id;
CREATE INDEX tickets_last_comment ON tickets (last_comment_at);
CREATE TABLE ticket_facets (
  day date, -- UTC day of the tickets' latest comment; NULL for tickets without comments
  dim text NOT NULL CHECK (dim IN ('label', 'trend', 'priority', 'status', 'assignee')),
  key text,
  tickets integer NOT NULL,
  scored integer NOT NULL,
  score_sum numeric NOT NULL,
  negative integer NOT NULL
);
CREATE UNIQUE INDEX ticket_facets_key ON ticket_facets (day, dim, key) NULLS NOT DISTINCT;
INSERT INTO ticket_facets
SELECT (t.last_comment_at AT TIME ZONE 'UTC')::date, f.dim, f.key, count(*), count(t.sentiment_score),
       COALESCE(sum(t.sentiment_score::numeric), 0), count(*) FILTER (WHERE t.sentiment_label = 'negative')
FROM tickets t CROSS JOIN LATERAL (VALUES ('label', t.sentiment_label), ('trend', t.trend), ('priority', t.priority),
                                          ('status', t.status), ('assignee', t.assignee)) AS f (dim, key)
GROUP BY 1, 2, 3;
`,
  },
  {
    id: 2,
    name: 'job upload progress',
    // Bytes of the uploaded file consumed so far, for a progress percentage against options.bytesTotal.
    sql: `
ALTER TABLE jobs ADD COLUMN bytes_read bigint NOT NULL DEFAULT 0;
CREATE INDEX jobs_created ON jobs (created_at DESC);
`,
  },
  {
    id: 5,
    name: 'uploads stored in the database',
    // An uploaded CSV lives here, in ~1 MiB chunks, until its job completes or fails for good: the API
    // and worker pods share no volume, but they share the tenant's database. A job is 'uploading'
    // while its file arrives, so no worker picks it up half-written.
    sql: `
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check,
  ADD CONSTRAINT jobs_state_check CHECK (state IN ('uploading', 'queued', 'running', 'completed', 'failed'));
CREATE TABLE upload_chunks (
  job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (job_id, seq)
);
`,
  },
  {
    id: 6,
    name: 'job warnings and ticket source rows',
    // Warnings: rows stored with something changed or left out (a date not understood, a comment not
    // parsed, a key seen twice), kept like errors (the first ones, the count exact). job_row: the row of
    // its job a ticket came from, so a key twice in one file names both rows.
    sql: `
ALTER TABLE jobs ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN warning_count integer NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN job_row integer;
`,
  },
  {
    id: 7,
    name: 'job run fence',
    // The run of a job that may write its batches: a run that lost its queue lock (Redis restarted, a
    // stalled worker) while another took the job over is refused at its next write (csv-job.ts).
    sql: `ALTER TABLE jobs ADD COLUMN run_id uuid;`,
  },
];

export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727001)');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
    );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
