// Retrieval for /v1/ask: the tickets the statistics single out, then the search backend's best
// matches for the question (lexical, re-ranked by the question's embedding), loaded with their
// latest comments. A failing ML service or search backend degrades the answer, it does not fail it.
import type { Logger } from 'pino';
import type { MlClient } from '../ml-client.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';
import { findPeriods, withoutPeriods, type Period } from './period.js';
import { lowestScoredIds } from './statistics.js';

export interface RetrievedComment {
  at: string;
  author: string;
  body: string;
  label: string | null;
}

export interface RetrievedTicket {
  id: string;
  summary: string;
  description: string;
  status: string | null;
  priority: string | null;
  assignee: string | null;
  sentimentScore: number | null;
  sentimentLabel: string | null;
  trend: string | null;
  /** The latest few, oldest first. */
  comments: RetrievedComment[];
}

export interface RetrieveDeps {
  db: Pick<Db, 'query'>;
  ml: Pick<MlClient, 'embeddings'>;
  search: Pick<SearchBackend, 'search'>;
  log: Logger;
}

const SEARCH_HITS = 5;
const MAX_TICKETS = 8;
const COMMENTS_PER_TICKET = 3;
const MAX_TERMS = 6;

// Both search backends require every word of q to match, so the question's own framing ("which
// tickets", "most negative", "last week") would match nothing: only its remaining words are searched.
const NOT_SEARCHED = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can ' +
    'could did do does doing down during each few for from further had has have having he her here hers him his how i if in into ' +
    'is it its just me more most my no nor not now of off on once only or other our out over own same she should so some such ' +
    'than that the their them then there these they this those through to too under until up very was we were what when where ' +
    'which while who whom why will with would you your ' +
    'ticket tickets issue issues case cases request requests customer customers comment comments sentiment sentiments mood ' +
    'negative positive neutral negativity score scores average overall total count number many much show list give tell find ' +
    'top worst best least lowest highest angriest unhappiest upset unhappy angry frustrated dissatisfied trend trends trending ' +
    'time daily weekly per day days week weeks month months year years today yesterday compare compared comparison versus vs ' +
    'previous prior last past recent recently current distribution breakdown broken priority priorities status statuses ' +
    'assignee assignees agent agents owner owners assigned declining decline improving improve improved volatile stable ' +
    'getting worse better mention mentions mentioning mentioned regarding related concerning involving containing topic please ' +
    'say says said see know want break'
  ).split(' '),
);

/** The words of `question` worth searching for: no period phrases, stopwords or analytics vocabulary. */
export function searchTerms(question: string, now: Date): string[] {
  const words =
    withoutPeriods(question, findPeriods(question, now))
      .toLowerCase()
      .match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
  return [...new Set(words.filter((w) => w.length > 1 && !/^\d+$/.test(w) && !NOT_SEARCHED.has(w)))].slice(
    0,
    MAX_TERMS,
  );
}

export interface RetrieveInput {
  question: string;
  /** Searched instead of the question's own words (a topic the statistics counted). */
  topic: string | null;
  period: Period | null;
  /** Tickets the statistics single out; they come first. */
  shapeIds: string[];
  now: Date;
}

export async function retrieve(
  deps: RetrieveDeps,
  input: RetrieveInput,
): Promise<{ tickets: RetrievedTicket[]; warnings: string[] }> {
  const warnings: string[] = [];
  let embedding: number[] | undefined;
  try {
    embedding = (await deps.ml.embeddings([input.question]))[0];
  } catch (err) {
    deps.log.warn({ err }, 'ask: question embedding failed; lexical retrieval only');
    warnings.push('semantic ranking was unavailable; tickets were matched by words only');
  }
  const terms = input.topic ? [input.topic] : searchTerms(input.question, input.now);
  let hitIds: string[] = [];
  try {
    const search = async (q: string, limit: number) =>
      (
        await deps.search.search(
          {
            q,
            limit,
            offset: 0,
            ...(input.period
              ? { from: input.period.from.toISOString(), to: input.period.to.toISOString() }
              : {}),
          },
          embedding,
        )
      ).hits.map((h) => h.id);
    if (terms.length) hitIds = await search(terms.join(' '), SEARCH_HITS);
    // No ticket has every word: any of them, each word's best few.
    if (hitIds.length === 0 && terms.length > 1)
      for (const term of terms) hitIds.push(...(await search(term, 2)));
  } catch (err) {
    deps.log.warn({ err }, 'ask: search failed; answering from statistics only');
    warnings.push('ticket search was unavailable; only tickets named by the statistics are cited');
  }
  let ids = [...new Set([...input.shapeIds, ...hitIds])].slice(0, MAX_TICKETS);
  // Nothing specific asked or found: the period's most negative tickets are the useful examples.
  if (ids.length === 0) ids = await lowestScoredIds(deps.db, input.period, SEARCH_HITS);
  return { tickets: await loadTickets(deps.db, ids), warnings };
}

async function loadTickets(db: Pick<Db, 'query'>, ids: string[]): Promise<RetrievedTicket[]> {
  if (ids.length === 0) return [];
  const rows = (
    await db.query<{
      id: string;
      summary: string;
      description: string;
      status: string | null;
      priority: string | null;
      assignee: string | null;
      sentiment_score: number | null;
      sentiment_label: string | null;
      trend: string | null;
    }>(
      `SELECT id, summary, description, status, priority, assignee, sentiment_score, sentiment_label, trend
       FROM tickets WHERE id = ANY($1::text[])`,
      [ids],
    )
  ).rows;
  const comments = (
    await db.query<{
      ticket_id: string;
      created_at: Date | string;
      author: string;
      body: string;
      label: string | null;
    }>(
      `SELECT ticket_id, created_at, author, body, label FROM (
         SELECT c.*, row_number() OVER (PARTITION BY ticket_id ORDER BY seq DESC) AS rn FROM comments c
         WHERE ticket_id = ANY($1::text[])) x
       WHERE rn <= $2 ORDER BY ticket_id, seq`,
      [ids, COMMENTS_PER_TICKET],
    )
  ).rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  // Keep the retrieval order: statistics' tickets first, then search rank.
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    return [
      {
        id: r.id,
        summary: r.summary,
        description: r.description,
        status: r.status,
        priority: r.priority,
        assignee: r.assignee,
        sentimentScore: r.sentiment_score,
        sentimentLabel: r.sentiment_label,
        trend: r.trend,
        comments: comments
          .filter((c) => c.ticket_id === id)
          .map((c) => ({
            at: new Date(c.created_at).toISOString(),
            author: c.author,
            body: c.body,
            label: c.label,
          })),
      },
    ];
  });
}
