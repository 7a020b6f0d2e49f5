// Question → shape → statistics (our SQL) → retrieval → answer (LLM, or the template when there is
// none or it fails). The LLM only ever writes prose: it picks no query, and its citations are checked.
import type { Logger } from 'pino';
import type { Llm } from '../llm/llm.js';
import type { AskAnswer } from '../routes/ask.js';
import type { AskLimiter } from './limits.js';
import { buildPrompt, checkCitations } from './prompt.js';
import { retrieve, type RetrieveDeps, type RetrievedTicket } from './retrieve.js';
import { pickShape } from './shapes.js';
import { computeShape } from './statistics.js';
import { templateAnswer } from './template.js';

export interface AskDeps extends RetrieveDeps {
  llm: Llm | null;
  log: Logger;
  /** The tenant's daily LLM budget (ask/limits.ts); without one every question may use the LLM. */
  llmBudget?: Pick<AskLimiter, 'takeLlmAnswer' | 'budgets'>;
}

// The answer is the route's wire shape (routes/ask.ts); `warning` is present when it is degraded.
type TicketRef = AskAnswer['tickets'][number];

const ref = (t: RetrievedTicket): TicketRef => ({
  id: t.id,
  summary: t.summary,
  sentimentScore: t.sentimentScore,
});

export async function ask(deps: AskDeps, question: string, now = new Date()): Promise<AskAnswer> {
  const choice = pickShape(question, now);
  const { statistics, ticketIds } = await computeShape(deps.db, choice);
  const { tickets, warnings } = await retrieve(deps, {
    question,
    topic: choice.shape === 'topic_count' ? choice.topic : null,
    period: choice.shape === 'compare_periods' ? choice.a : choice.period,
    shapeIds: ticketIds,
    now,
  });
  const known = new Set(tickets.map((t) => t.id));

  let mode: AskAnswer['mode'] = 'template';
  let raw: string | undefined;
  if (deps.llm && deps.llmBudget && !(await deps.llmBudget.takeLlmAnswer())) {
    const perDay = deps.llmBudget.budgets.llmPerDay;
    deps.log.warn({ perDay }, "ask: the day's LLM budget is spent; answering from the template");
    warnings.unshift(
      `this tenant's ${perDay} language-model answers for today (UTC) are used up; this is the templated answer from the statistics, and the language model answers again after midnight UTC`,
    );
  } else if (deps.llm) {
    try {
      raw = await deps.llm.complete(buildPrompt(question, choice.shape, statistics, tickets).request);
      mode = 'llm';
    } catch (err) {
      deps.log.warn({ err, provider: deps.llm.provider }, 'ask: LLM failed; answering from the template');
      warnings.unshift(
        `the language model (${deps.llm.provider}) did not answer; this is the templated answer from the statistics`,
      );
    }
  }
  const checked = checkCitations(raw ?? templateAnswer(choice, statistics, tickets), known);
  if (checked.dropped.length) {
    deps.log.warn({ dropped: checked.dropped }, 'ask: removed citations of tickets that were not retrieved');
    warnings.push(
      `removed citations of tickets that were not among the retrieved ones: ${checked.dropped.join(', ')}`,
    );
  }
  const byId = new Map(tickets.map((t) => [t.id, t]));
  return {
    answer: checked.text,
    mode,
    provider: deps.llm?.provider ?? 'none',
    shape: choice.shape,
    statistics,
    citations: checked.cited.map((id) => ref(byId.get(id)!)),
    tickets: tickets.map(ref),
    ...(warnings.length ? { warning: warnings.join('; ') } : {}),
  };
}
