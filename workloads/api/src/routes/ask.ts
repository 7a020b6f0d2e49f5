// POST /v1/ask: a natural-language question answered from fixed statistics shapes and retrieved
// tickets, by the configured LLM or, without one, by a template (see ask/).
import Router from '@koa/router';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { AppDeps } from '../app/deps.js';
import { ask } from '../ask/ask.js';
import { principalOf, requireRole } from '../http/auth.js';
import { fail, parseOr400 } from '../http/errors.js';

export const askBody = z.object({ question: z.string().trim().min(3).max(1000) });

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
    ctx.body = out;
  });
  return r;
}
