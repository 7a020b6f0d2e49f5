// POST /v1/ask: a natural-language question answered from fixed statistics shapes and retrieved
// tickets, by the configured LLM or, without one, by a template (see ask/).
import Router from '@koa/router';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { ask } from '../ask/ask.js';
import { SHAPES } from '../ask/shapes.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';

export const askBody = z.object({ question: z.string().trim().min(3).max(1000) });

const ticketRef = z
  .object({ id: z.string(), summary: z.string(), sentimentScore: z.number().nullable() })
  .meta({ id: 'TicketRef' });

export const askAnswer = z
  .object({
    answer: z.string(),
    mode: z.enum(['llm', 'template']),
    provider: z
      .enum(['bedrock', 'self-hosted', 'none'])
      .describe('the configured provider, also when it failed and the template answered'),
    shape: z.enum(SHAPES).describe('which safe query shape was used'),
    statistics: z.record(z.string(), z.unknown()).describe('the numbers the answer used'),
    citations: z.array(ticketRef),
    tickets: z.array(ticketRef),
    warning: z
      .string()
      .optional()
      .describe(
        'why the answer is templated or incomplete (LLM failed or over its daily budget, ML or search unavailable, unknown citations removed)',
      ),
  })
  .meta({ id: 'AskAnswer' });
export type AskAnswer = z.infer<typeof askAnswer>;

export function askRoutes(deps: AppDeps): Router {
  const answers = new Counter({
    name: 'sentiment_api_ask_total',
    help: 'Answered questions by mode (llm | template) and configured provider; template with a provider means the LLM failed.',
    labelNames: ['mode', 'provider'] as const,
    registers: [deps.registry],
  });
  const r = new Router({ prefix: '/v1' });
  r.post('/ask', requireRole('viewer'), async (ctx) => {
    const { question } = parseOr400(askBody, ctx.request.body ?? {});
    if (!(await deps.askLimits.admit(principalOf(ctx).subject))) {
      const perMinute = deps.askLimits.budgets.perUserPerMinute;
      ctx.set('Retry-After', '60');
      fail(429, `at most ${perMinute} questions a minute per user; ask again in a minute`);
    }
    const out = await ask({ ...deps, llmBudget: deps.askLimits }, question);
    answers.inc({ mode: out.mode, provider: out.provider });
    ctx.body = out satisfies AskAnswer;
  });
  return r;
}
