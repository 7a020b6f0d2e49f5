// What /v1/ask may cost. Each question runs statistics queries, a search and an embedding; an LLM answer
// is billed per token (Bedrock) or holds a GPU (self-hosted). So questions are rate-limited per user
// (429: the user asks again shortly), and LLM answers are capped per tenant per UTC day: past the cap,
// questions are still answered, from the template, with a warning saying why and until when.
import type { WindowCounter } from '../http/window-counter.js';

export interface AskBudgets {
  /** Questions per user per minute. */
  perUserPerMinute: number;
  /** LLM answers per tenant per UTC day; 0: never call the LLM. */
  llmPerDay: number;
}

const MINUTE = 60;
// A day's key outlives its day, so a late increment near midnight never reopens a fresh window.
const DAY_WINDOW = 2 * 86_400;

export class AskLimiter {
  constructor(
    private readonly counter: WindowCounter,
    readonly budgets: AskBudgets,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Counts a question by `subject`; false when the user is over the per-minute budget. */
  async admit(subject: string): Promise<boolean> {
    return (await this.counter.incr(`ask:user:${subject}`, MINUTE)) <= this.budgets.perUserPerMinute;
  }

  /** Takes one LLM answer from today's budget; false when the day's budget is spent. */
  async takeLlmAnswer(): Promise<boolean> {
    if (this.budgets.llmPerDay === 0) return false;
    const day = this.now().toISOString().slice(0, 10);
    return (await this.counter.incr(`ask:llm:${day}`, DAY_WINDOW)) <= this.budgets.llmPerDay;
  }
}
