// Semantic re-rank of lexical results: the top RERANK_WINDOW lexical hits are reordered by a blend of
// their lexical score (normalised to the best hit) and the cosine similarity of the ticket's
// embedding to the query's. Lexical search decides what matches; embeddings only decide the order
// among the best matches, so a re-rank never adds a hit that does not contain the words.
import type { Db } from '../store/db.js';

export const RERANK_WINDOW = 50;
// The encoder's cosines of related and unrelated texts all lie within about 0.45-0.9, while the
// lexical part spans 0-1: meaning gets the larger weight so its narrower spread can reorder, and
// where meanings tie the lexical score still decides.
const SEMANTIC_WEIGHT = 0.8;

export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Which lexical hits a page needs. Re-ranking reorders the whole window, so a page that overlaps it
 * needs the window from the first hit; pages past the window keep lexical order and are fetched alone.
 */
export function lexicalRange(
  offset: number,
  limit: number,
  reranking: boolean,
): { from: number; size: number } {
  if (!reranking || offset >= RERANK_WINDOW) return { from: offset, size: limit };
  return { from: 0, size: Math.max(RERANK_WINDOW, offset + limit) };
}

/**
 * `hits` in lexical order from the first hit. Scores become the blend; hits past the window get no
 * semantic credit (cosine is floored at 0, so they still rank below every hit of the window).
 */
export function rerank<T extends { id: string; score: number }>(
  hits: readonly T[],
  vectors: ReadonlyMap<string, readonly number[]>,
  query: readonly number[],
): T[] {
  const best = Math.max(0, ...hits.slice(0, RERANK_WINDOW).map((h) => h.score)) || 1;
  const blend = (h: T, similarity: number) =>
    (1 - SEMANTIC_WEIGHT) * (h.score / best) + SEMANTIC_WEIGHT * Math.max(0, similarity);
  const window = hits
    .slice(0, RERANK_WINDOW)
    .map((h) => {
      const v = vectors.get(h.id);
      return { ...h, score: blend(h, v ? cosine(query, v) : 0) };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return [...window, ...hits.slice(RERANK_WINDOW).map((h) => ({ ...h, score: blend(h, 0) }))];
}

/** The embeddings Postgres keeps for `ids` (tickets.embedding), for backends that hold no vectors. */
export async function storedEmbeddings(
  db: Pick<Db, 'query'>,
  ids: readonly string[],
): Promise<Map<string, number[]>> {
  if (ids.length === 0) return new Map();
  const rows = (
    await db.query<{ id: string; embedding: number[] | null }>(
      'SELECT id, embedding FROM tickets WHERE id = ANY($1::text[]) AND embedding IS NOT NULL',
      [ids],
    )
  ).rows;
  return new Map(rows.map((r) => [r.id, r.embedding!.map(Number)]));
}
