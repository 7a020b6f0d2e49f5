// Full-text + semantic search over one tenant's tickets. Two adapters: OpenSearch (production, an
// index per tenant) and Postgres full-text search (local mode, or no OpenSearch), same contract.
import type { SearchHit } from '../routes/search.js';
import type { ScoredTicket } from '../store/tickets.js';

/**
 * Only this head of a description or comment is searchable. Postgres must cap it (a tsvector holds at
 * most 1 MB; migration 3 repeats the number in SQL) and OpenSearch keeps the same, so both backends
 * find the same tickets.
 */
export const SEARCHABLE_CHARS = 100_000;

export interface SearchQuery {
  q: string;
  label?: 'negative' | 'neutral' | 'positive';
  status?: string;
  priority?: string;
  assignee?: string;
  /** ISO timestamps bounding the ticket's updated_at (created_at when it has none): from <= t < to. */
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

// A hit is the route's wire shape (routes/search.ts).
export type Fragment = SearchHit['highlights'][number]['fragments'][number];
export type { SearchHit };

export interface SearchResult {
  total: number;
  backend: 'opensearch' | 'postgres';
  hits: SearchHit[];
}

export interface SearchBackend {
  readonly name: 'opensearch' | 'postgres';
  /** Creates the tenant's index (mappings) if missing; idempotent. */
  ensure(): Promise<void>;
  /** Makes the tickets searchable (idempotent by ticket id); returns how many were indexed. */
  index(items: readonly ScoredTicket[]): Promise<number>;
  /** Lexical search; `embedding` (of the query) re-ranks the lexical candidates when given. */
  search(query: SearchQuery, embedding?: number[]): Promise<SearchResult>;
  /** Makes everything indexed so far searchable; a job calls it before it reports completion. */
  refresh(): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
