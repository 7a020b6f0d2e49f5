// Search on Postgres full-text search, for local mode and deployments without OpenSearch. The rows
// are the index: tickets.search_vector (summary weight A, description B) and comments.search_vector
// are generated columns (migration 3), so the same upsert that stores a ticket makes it searchable,
// in the same transaction. Runs on node-postgres and PGlite alike (core Postgres SQL only).
import type { Label } from '../routes/wire.js';
import type { Db } from '../store/db.js';
import type { ScoredTicket } from '../store/tickets.js';
import type { SearchBackend, SearchHit, SearchQuery, SearchResult } from './backend.js';
import { FRAGMENT_BREAK, MATCH_END, MATCH_START, matchedFragments } from './highlight.js';
import { lexicalRange, rerank, storedEmbeddings } from './rerank.js';

// ts_headline marks matches with the sentinels; translate() drops any the ticket text itself holds.
const SENTINELS = MATCH_START + MATCH_END + FRAGMENT_BREAK;
const WHOLE_FIELD = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, HighlightAll=true`;
const SNIPPETS = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxFragments=3, MinWords=8, MaxWords=25, FragmentDelimiter=${FRAGMENT_BREAK}`;
const COMMENT_HIGHLIGHTS = 3;

interface PageRow {
  id: string;
  summary: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  sentiment_score: number | null;
  sentiment_label: Label | null;
  updated_at: Date | string | null;
  h_summary: string | null;
  h_description: string | null;
  h_comments: string[];
}

/** WHERE terms for the filters, appended to `params` (the query text is $1). */
function filterSql(query: SearchQuery, params: unknown[]): string {
  const where: string[] = [];
  const add = (sql: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  add('t.sentiment_label = ?', query.label);
  add('t.status = ?', query.status);
  add('t.priority = ?', query.priority);
  add('t.assignee = ?', query.assignee);
  add('coalesce(t.updated_at, t.created_at) >= ?::timestamptz', query.from);
  add('coalesce(t.updated_at, t.created_at) < ?::timestamptz', query.to);
  return where.map((w) => ` AND ${w}`).join('');
}

export class PostgresSearch implements SearchBackend {
  readonly name = 'postgres' as const;

  constructor(private readonly db: Pick<Db, 'query'>) {}

  /** Migration 3 created the vectors and their indexes; nothing to set up per tenant. */
  async ensure(): Promise<void> {}

  /**
   * Nothing to write: upsertTickets stores these rows and their generated vectors in the job's
   * transaction, so every stored ticket is indexed exactly when it is committed.
   */
  async index(items: readonly ScoredTicket[]): Promise<number> {
    return items.length;
  }

  /** Rows are searchable as they commit. */
  async refresh(): Promise<void> {}

  async search(query: SearchQuery, embedding?: number[]): Promise<SearchResult> {
    const { from, size } = lexicalRange(query.offset, query.limit, Boolean(embedding));
    const params: unknown[] = [query.q];
    const filters = filterSql(query, params);
    params.push(size, from);
    // websearch_to_tsquery never raises on user syntax (quotes, -, or); a query with no lexemes
    // (only stopwords or punctuation) matches nothing. Comments match on their own vectors, and a
    // ticket's score adds its comments' ranks to its own. Candidates come from the two GIN indexes
    // (a UNION, where an OR across the join would scan every ticket).
    const [found] = (
      await this.db.query<{ total: string | number; page: { id: string; score: number }[] }>(
        `WITH q AS (SELECT websearch_to_tsquery('english'::regconfig, $1) AS q),
         commented AS (
           SELECT c.ticket_id, sum(ts_rank_cd(c.search_vector, q.q)) AS rank
           FROM comments c CROSS JOIN q WHERE c.search_vector @@ q.q GROUP BY c.ticket_id),
         candidates AS (
           SELECT t.id FROM tickets t CROSS JOIN q WHERE t.search_vector @@ q.q
           UNION SELECT ticket_id FROM commented),
         matched AS (
           SELECT t.id, ts_rank_cd(t.search_vector, q.q) + coalesce(cm.rank, 0) AS score
           FROM candidates JOIN tickets t USING (id) CROSS JOIN q LEFT JOIN commented cm ON cm.ticket_id = t.id
           WHERE true${filters})
         SELECT (SELECT count(*) FROM matched) AS total,
                (SELECT coalesce(json_agg(json_build_object('id', p.id, 'score', p.score) ORDER BY p.score DESC, p.id), '[]'::json)
                 FROM (SELECT id, score FROM matched ORDER BY score DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}) p) AS page`,
        params,
      )
    ).rows;
    let ranked = found!.page;
    if (embedding)
      ranked = rerank(
        ranked,
        await storedEmbeddings(
          this.db,
          ranked.map((h) => h.id),
        ),
        embedding,
      );
    const page = ranked.slice(query.offset - from, query.offset - from + query.limit);
    return { total: Number(found!.total), backend: this.name, hits: await this.details(query.q, page) };
  }

  /** Fields and highlights for one page only: ts_headline re-parses the text, so it runs on few rows. */
  private async details(q: string, page: readonly { id: string; score: number }[]): Promise<SearchHit[]> {
    if (page.length === 0) return [];
    // ts_filter keeps the lexemes of one weight, so a field is highlighted only where it matched.
    const rows = (
      await this.db.query<PageRow>(
        `WITH q AS (SELECT websearch_to_tsquery('english'::regconfig, $1) AS q)
         SELECT t.id, t.summary, t.status, t.priority, t.assignee, t.sentiment_score, t.sentiment_label, t.updated_at,
           CASE WHEN ts_filter(t.search_vector, '{a}') @@ q.q
                THEN ts_headline('english'::regconfig, translate(t.summary, $3, ''), q.q, $4) END AS h_summary,
           CASE WHEN ts_filter(t.search_vector, '{b}') @@ q.q
                THEN ts_headline('english'::regconfig, translate(left(t.description, 100000), $3, ''), q.q, $5) END AS h_description,
           ARRAY(SELECT ts_headline('english'::regconfig, translate(left(c.body, 100000), $3, ''), q.q, $5)
                 FROM comments c WHERE c.ticket_id = t.id AND c.search_vector @@ q.q
                 ORDER BY ts_rank_cd(c.search_vector, q.q) DESC, c.seq LIMIT $6) AS h_comments
         FROM tickets t CROSS JOIN q WHERE t.id = ANY($2::text[])`,
        [q, page.map((p) => p.id), SENTINELS, WHOLE_FIELD, SNIPPETS, COMMENT_HIGHLIGHTS],
      )
    ).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    return page.flatMap(({ id, score }) => {
      const r = byId.get(id);
      if (!r) return []; // deleted between the two queries
      const highlights: SearchHit['highlights'] = [];
      const add = (field: SearchHit['highlights'][number]['field'], marked: string[]) => {
        const fragments = matchedFragments(marked.flatMap((m) => m.split(FRAGMENT_BREAK)));
        if (fragments.length) highlights.push({ field, fragments });
      };
      add('summary', r.h_summary ? [r.h_summary] : []);
      add('description', r.h_description ? [r.h_description] : []);
      add('comments', r.h_comments);
      return [
        {
          id,
          summary: r.summary,
          status: r.status,
          priority: r.priority,
          assignee: r.assignee,
          sentimentScore: r.sentiment_score,
          sentimentLabel: r.sentiment_label,
          updatedAt: r.updated_at === null ? null : new Date(r.updated_at).toISOString(),
          score,
          highlights,
        },
      ];
    });
  }

  async ready(): Promise<boolean> {
    try {
      await this.db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** The database belongs to the caller. */
  async close(): Promise<void> {}
}
