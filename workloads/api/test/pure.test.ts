import test from 'ava';
import { parseJiraComment, parseJiraDate } from '../src/jira/comment.js';
import { DEFAULT_MAPPING, mapRow } from '../src/jira/mapping.js';
import type { Scored } from '../src/ml-client.js';
import { rollUp } from '../src/store/rollup.js';
import { ticketRollup } from '../src/store/tickets.js';
import { hashPassword, verifyPassword } from '../src/auth/password.js';
import { ConfigError, loadConfig } from '../src/config.js';

test('Jira comment cell: date;author;text, text may contain separators', (t) => {
  const r = parseJiraComment('03/Feb/23 4:05 PM;jdoe;still broken; please; help');
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.comment.at.toISOString(), '2023-02-03T16:05:00.000Z');
  t.is(r.comment.author, 'jdoe');
  t.is(r.comment.text, 'still broken; please; help');
});

test('Jira dates: 12 AM is midnight, overflow and garbage rejected', (t) => {
  t.is(parseJiraDate('01/Jan/24 12:30 AM')?.toISOString(), '2024-01-01T00:30:00.000Z');
  t.is(parseJiraDate('01/Jan/24 12:30 PM')?.toISOString(), '2024-01-01T12:30:00.000Z');
  t.is(parseJiraDate('31/Feb/24 10:00 AM'), null);
  t.is(parseJiraDate('2024-01-01'), null);
  t.false(parseJiraComment('no separators').ok);
  t.false(parseJiraComment('xx/Jan/24 1:00 AM;a;b').ok);
});

test('roll-up weights recent comments more and names the trend', (t) => {
  const up = rollUp([-0.9, -0.7, 0.2, 0.6]);
  t.is(up.trend, 'improving');
  t.true((up.score as number) > 0);
  t.is(rollUp([0.8, 0.6, -0.3, -0.8]).trend, 'declining');
  t.is(rollUp([0.1, 0.12, 0.08]).trend, 'stable');
  t.is(rollUp([-0.9, 0.9, -0.9, 0.9, -0.9]).trend, 'volatile');
  t.deepEqual(rollUp([]), { score: null, trend: 'stable' });
});

test('Jira row: an indexed field past its limit refuses the row; NUL and bad dates are warnings', (t) => {
  const row = (cells: Record<string, string>) =>
    mapRow(Object.entries({ 'Issue key': 'R-1', ...cells }), DEFAULT_MAPPING);
  t.deepEqual(row({ Status: 's'.repeat(101) }), {
    ok: false,
    error: 'Status: 101 characters, at most 100',
  });
  t.deepEqual(row({ Assignee: 'a'.repeat(201) }), {
    ok: false,
    error: 'Assignee: 201 characters, at most 200',
  });
  const r = row({
    Description: 'a\0b',
    Created: '2024-05-01',
    Updated: '01/May/24 9:05 AM',
    Comment: 'not a comment',
  });
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.ticket.description, 'ab');
  t.is(r.ticket.createdAt, null);
  t.is(r.ticket.updatedAt?.toISOString(), '2024-05-01T09:05:00.000Z');
  t.deepEqual(r.warnings, [
    'Description: NUL characters removed (they cannot be stored)',
    'Created: "2024-05-01" is not a date like "01/May/24 9:05 AM"; left empty',
    'Comment: expected "date;author;text"; comment left out',
  ]);
});

test('a ticket without comments takes its sentiment from its description', (t) => {
  const ticket = {
    id: 'R-1',
    summary: '',
    description: 'awful',
    status: null,
    priority: null,
    assignee: null,
    createdAt: null,
    updatedAt: null,
    comments: [],
  };
  const scored = (score: number): Scored => ({
    label: 'neutral',
    score,
    probabilities: { negative: 0, neutral: 1, positive: 0 },
  });
  t.is(ticketRollup({ ticket, sentiment: [], embedding: null }).score, null);
  t.is(
    ticketRollup({ ticket, sentiment: [], descriptionSentiment: scored(-0.8), embedding: null }).score,
    -0.8,
  );
  // With comments, the description does not count.
  t.is(
    ticketRollup({ ticket, sentiment: [scored(0.5)], descriptionSentiment: scored(-0.8), embedding: null })
      .score,
    0.5,
  );
});

test('scrypt password hashes verify only the right password', async (t) => {
  const h = await hashPassword('correct horse battery');
  t.regex(h, /^scrypt\$/);
  t.true(await verifyPassword('correct horse battery', h));
  t.false(await verifyPassword('wrong', h));
  t.false(await verifyPassword('x', 'garbage'));
});

const base = {
  SENTIMENT_PLATFORM: 'acme',
  SENTIMENT_NAMESPACE: 'tenant-acme',
  SENTIMENT_PLATFORM_UID: '6f1c1d2e-0000-4000-8000-000000000001',
  DATABASE_URL: 'postgres://u@localhost/db',
  REDIS_URL: 'redis://localhost:6379',
  REDIS_KEY_PREFIX: 'acme:',
  OPENSEARCH_URL: 'http://localhost:9200',
  OPENSEARCH_INDEX_PREFIX: 'acme',
  ML_URL: 'http://localhost:8000',
  JWT_SECRET: 'x'.repeat(32),
};

test('config: valid env parses with defaults', (t) => {
  const c = loadConfig(base);
  t.is(c.PORT, 8080);
  t.is(c.LLM_PROVIDER, 'none');
  t.is(c.ML_BATCH_SIZE, 64);
});

test('config: every problem listed, secrets required, no values echoed', (t) => {
  const err = t.throws(
    () => loadConfig({ ...base, JWT_SECRET: 'short-secret', LLM_PROVIDER: 'bedrock', DATABASE_URL: '' }),
    { instanceOf: ConfigError },
  );
  t.regex(err.message, /DATABASE_URL/);
  t.regex(err.message, /JWT_SECRET: at least 32/);
  t.regex(err.message, /BEDROCK_MODEL_ID/);
  t.notRegex(err.message, /short-secret/);
  t.throws(() => loadConfig({ ...base, JWT_SECRET: undefined }), { message: /no default secret/ });
});
