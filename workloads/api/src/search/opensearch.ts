// Search on OpenSearch: one index per tenant under the prefix the operator provisioned (its index
// template fixes shards and replicas). Documents are keyed by ticket id, so re-indexing a batch after
// a crash overwrites instead of duplicating.
//
// Vectors: when the cluster has the k-NN plugin, the index maps `embedding` as a 384-d knn_vector and
// the re-rank reads candidates' vectors from their documents. Without it (the test cluster is the bare
// integ-test distribution, no k-NN) vectors stay out of OpenSearch and the re-rank reads them from
// Postgres (tickets.embedding). Which one applies is read from the cluster at ensure() (_nodes/plugins,
// which lists modules too, unlike _cat/plugins), and for an existing index from its mapping, never
// assumed. Likewise the text fields use the english analyzer where the cluster has it (module
// analysis-common) and the standard one otherwise (the test cluster: matches are then unstemmed).
import { Client } from '@opensearch-project/opensearch';
import type { Logger } from 'pino';
import type { Label } from '../routes/wire.js';
import type { Db } from '../store/db.js';
import { labelOf, ticketRollup, type ScoredTicket } from '../store/tickets.js';
import {
  SEARCHABLE_CHARS,
  type SearchBackend,
  type SearchHit,
  type SearchQuery,
  type SearchResult,
} from './backend.js';
import { MATCH_END, MATCH_START, matchedFragments, stripSentinels } from './highlight.js';
import { lexicalRange, rerank, storedEmbeddings } from './rerank.js';

/** bge-small-en-v1.5, the ML service's encoder (workloads/ml encoder.ts EMBEDDING_DIM). */
const EMBEDDING_DIM = 384;
const SOURCE_FIELDS = [
  'summary',
  'status',
  'priority',
  'assignee',
  'sentimentScore',
  'sentimentLabel',
  'updatedAt',
];

interface TicketDoc {
  summary: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  sentimentScore: number | null;
  sentimentLabel: Label | null;
  updatedAt: string | null;
  embedding?: number[];
}

export interface OpenSearchOptions {
  url: string;
  indexPrefix: string;
  /** Holds the embeddings the re-rank uses when the index has no vectors. */
  db: Pick<Db, 'query'>;
  log: Logger;
}

/**
 * Documents the index refused for their own values (`at`: the position in the batch given to index()); the
 * batch's other documents were written.
 */
export class DocumentsRefusedError extends Error {
  constructor(readonly refused: { at: number; reason: string }[]) {
    super(`OpenSearch refused ${refused.length} document(s) (first: ${refused[0]?.reason})`);
  }
}

/**
 * The operator hands tenants a prefix that ends in a dash (crds tenantIdentity: `t-<slug>-<hash>-`);
 * a bare prefix from a hand-written config gets one.
 */
export function ticketsIndexName(prefix: string): string {
  return prefix.endsWith('-') ? `${prefix}tickets` : `${prefix}-tickets`;
}

function errorType(err: unknown): string | undefined {
  return (err as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;
}

export class OpenSearchSearch implements SearchBackend {
  readonly name = 'opensearch' as const;
  readonly indexName: string;
  private readonly client: Client;
  private setup: Promise<void> | undefined;
  /** Whether this index holds the vectors (knn_vector); known once setup has run. */
  private vectors = false;

  constructor(private readonly options: OpenSearchOptions) {
    this.client = new Client({ node: options.url });
    this.indexName = ticketsIndexName(options.indexPrefix);
  }

  /** Idempotent and shared by concurrent callers; a failed attempt is retried by the next call. */
  ensure(): Promise<void> {
    this.setup ??= this.createIndex().catch((err: unknown) => {
      this.setup = undefined;
      throw err;
    });
    return this.setup;
  }

  /** What the cluster offers: the k-NN plugin, and the english analyzer (module analysis-common). */
  private async capabilities(): Promise<{ knn: boolean; english: boolean }> {
    try {
      const nodes = Object.values((await this.client.nodes.info({ metric: ['plugins'] })).body.nodes);
      const everywhere = (kind: 'plugins' | 'modules', name: string) =>
        nodes.length > 0 && nodes.every((n) => (n[kind] ?? []).some((p) => p.name === name));
      return {
        knn: everywhere('plugins', 'opensearch-knn'),
        english: everywhere('modules', 'analysis-common'),
      };
    } catch (err) {
      // A tenant role may lack cluster monitor rights: the core features work everywhere.
      this.options.log.warn(
        { err },
        'cannot list OpenSearch plugins; using the standard analyzer and no vectors',
      );
      return { knn: false, english: false };
    }
  }

  private async createIndex(): Promise<void> {
    if (!(await this.client.indices.exists({ index: this.indexName })).body) {
      const { knn, english } = await this.capabilities();
      const text = { type: 'text', analyzer: english ? 'english' : 'standard' } as const;
      // Keyword values are bounded by FIELD_LIMITS (jira/mapping.ts), far under Lucene's 32 KB term limit;
      // no ignore_above, which would leave a longer value silently unfilterable.
      const keyword = { type: 'keyword' } as const;
      const date = { type: 'date' } as const;
      try {
        await this.client.indices.create({
          index: this.indexName,
          body: {
            settings: knn ? { index: { knn: true } } : {},
            mappings: {
              dynamic: 'strict',
              properties: {
                id: keyword,
                summary: text,
                description: text,
                comments: text,
                status: keyword,
                priority: keyword,
                assignee: keyword,
                sentimentLabel: keyword,
                trend: keyword,
                sentimentScore: { type: 'float' },
                createdAt: date,
                updatedAt: date,
                // updatedAt, or createdAt for a ticket never updated: what the date filter bounds.
                activityAt: date,
                ...(knn
                  ? {
                      embedding: {
                        type: 'knn_vector',
                        dimension: EMBEDDING_DIM,
                        method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' },
                      },
                    }
                  : {}),
              },
            },
          } as never,
        });
        this.options.log.info(
          { index: this.indexName, vectors: knn, analyzer: text.analyzer },
          'search index created',
        );
      } catch (err) {
        // Another replica created it first; its mapping is read below.
        if (errorType(err) !== 'resource_already_exists_exception') throw err;
      }
    }
    const mapping = (await this.client.indices.getMapping({ index: this.indexName })).body as Record<
      string,
      { mappings: { properties?: Record<string, { type?: string }> } }
    >;
    this.vectors = mapping[this.indexName]?.mappings.properties?.embedding?.type === 'knn_vector';
  }

  /** Deletes the tenant's index and creates it again, empty, with today's mappings (search/reindex.ts). */
  async recreate(): Promise<void> {
    await this.client.indices.delete({ index: this.indexName, ignore_unavailable: true });
    this.setup = undefined;
    await this.ensure();
    // A write landing between the delete and the create makes OpenSearch create the index itself, with
    // guessed mappings; strict is ours.
    const mapping = (await this.client.indices.getMapping({ index: this.indexName })).body as Record<
      string,
      { mappings: { dynamic?: unknown } }
    >;
    if (String(mapping[this.indexName]?.mappings.dynamic) !== 'strict')
      throw new Error(
        `index ${this.indexName} was re-created by a concurrent write without its mappings; run the rebuild again`,
      );
  }

  async index(items: readonly ScoredTicket[]): Promise<number> {
    if (items.length === 0) return 0;
    await this.ensure();
    const body = items.flatMap((item) => [
      { index: { _index: this.indexName, _id: item.ticket.id } },
      this.document(item),
    ]);
    const res = await this.client.bulk({ body });
    if (res.body.errors) {
      // One result per item, in order.
      const results = res.body.items.map((i) => Object.values(i)[0]);
      const failed = results.flatMap((op, at) => (op?.error ? [{ at, op }] : []));
      // 400: the document itself (a value its mapping refuses); anything else (429, 5xx) is the cluster's.
      if (failed.every(({ op }) => op.status === 400))
        throw new DocumentsRefusedError(
          failed.map(({ at, op }) => ({ at, reason: `${op.error?.type}: ${op.error?.reason}` })),
        );
      const first = failed[0]?.op;
      throw new Error(
        `OpenSearch refused ${failed.length} of ${items.length} tickets (first: ${first?._id}: ${first?.error?.type}: ${first?.error?.reason})`,
      );
    }
    return items.length;
  }

  private document(item: ScoredTicket) {
    const { ticket: t, embedding } = item;
    const roll = ticketRollup(item);
    // Same searchable head as the Postgres backend's vectors; the sentinels are reserved for highlights.
    const searchable = (s: string) => stripSentinels(s.slice(0, SEARCHABLE_CHARS));
    return {
      id: t.id,
      summary: stripSentinels(t.summary),
      description: searchable(t.description),
      comments: t.comments.map((c) => searchable(c.text)),
      status: t.status,
      priority: t.priority,
      assignee: t.assignee,
      sentimentScore: roll.score,
      sentimentLabel: roll.score === null ? null : labelOf(roll.score),
      trend: roll.trend,
      createdAt: t.createdAt?.toISOString() ?? null,
      updatedAt: t.updatedAt?.toISOString() ?? null,
      activityAt: (t.updatedAt ?? t.createdAt)?.toISOString() ?? null,
      ...(this.vectors && embedding ? { embedding } : {}),
    };
  }

  async search(query: SearchQuery, embedding?: number[]): Promise<SearchResult> {
    await this.ensure();
    const { from, size } = lexicalRange(query.offset, query.limit, Boolean(embedding));
    const filter: object[] = [];
    const term = (field: string, value: string | undefined) => {
      if (value !== undefined) filter.push({ term: { [field]: value } });
    };
    term('sentimentLabel', query.label);
    term('status', query.status);
    term('priority', query.priority);
    term('assignee', query.assignee);
    if (query.from || query.to) filter.push({ range: { activityAt: { gte: query.from, lt: query.to } } });
    const res = await this.client.search({
      index: this.indexName,
      body: {
        from,
        size,
        track_total_hits: true,
        _source: { includes: embedding && this.vectors ? [...SOURCE_FIELDS, 'embedding'] : SOURCE_FIELDS },
        // multi_match analyses q as plain text: no query syntax (`*:*`, JSON, operators) reaches the
        // parser. cross_fields + and: every word must occur, in any of the fields, like websearch_to_tsquery.
        query: {
          bool: {
            must: [
              {
                multi_match: {
                  query: query.q,
                  type: 'cross_fields',
                  operator: 'and',
                  fields: ['summary^3', 'description', 'comments'],
                },
              },
            ],
            filter,
          },
        },
        sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
        highlight: {
          pre_tags: [MATCH_START],
          post_tags: [MATCH_END],
          encoder: 'default',
          // Comments of a long ticket may add up past the index's highlight limit (1M characters).
          max_analyzer_offset: SEARCHABLE_CHARS,
          fields: {
            summary: { number_of_fragments: 0 },
            description: { fragment_size: 160, number_of_fragments: 3 },
            comments: { fragment_size: 160, number_of_fragments: 3 },
          },
        },
      } as never,
    });
    const body = res.body as unknown as {
      hits: {
        total: { value: number };
        hits: {
          _id: string;
          _score: number | null;
          _source: TicketDoc;
          highlight?: Record<string, string[]>;
        }[];
      };
    };
    let ranked = body.hits.hits.map((h) => ({ id: h._id, score: h._score ?? 0, hit: h }));
    if (embedding) {
      const vectors = this.vectors
        ? new Map(
            ranked.flatMap((r) =>
              r.hit._source.embedding ? [[r.id, r.hit._source.embedding] as const] : [],
            ),
          )
        : await storedEmbeddings(
            this.options.db,
            ranked.map((r) => r.id),
          );
      ranked = rerank(ranked, vectors, embedding);
    }
    const hits = ranked
      .slice(query.offset - from, query.offset - from + query.limit)
      .map(({ id, score, hit }): SearchHit => {
        const s = hit._source;
        const highlights: SearchHit['highlights'] = [];
        for (const field of ['summary', 'description', 'comments'] as const) {
          const fragments = matchedFragments(hit.highlight?.[field] ?? []);
          if (fragments.length) highlights.push({ field, fragments });
        }
        return {
          id,
          summary: s.summary,
          status: s.status,
          priority: s.priority,
          assignee: s.assignee,
          sentimentScore: s.sentimentScore,
          sentimentLabel: s.sentimentLabel,
          updatedAt: s.updatedAt,
          score,
          highlights,
        };
      });
    return { total: body.hits.total.value, backend: this.name, hits };
  }

  /** OpenSearch shows new documents after its next refresh (every second): a finished job does not wait for it. */
  async refresh(): Promise<void> {
    await this.client.indices.refresh({ index: this.indexName });
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.client.indices.exists({ index: this.indexName })).body === true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
