import test from 'ava';
import { parseJiraComment, parseJiraDate } from '../src/jira/comment.js';
import { rollUp } from '../src/store/rollup.js';
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

test('scrypt password hashes verify only the right password', async (t) => {
  const h = await hashPassword('correct horse battery');
  t.regex(h, /^scrypt\$/);
  t.true(await verifyPassword('correct horse battery', h));
  t.false(await verifyPassword('wrong', h));
  t.false(await verifyPassword('x', 'garbage'));
});

const base = {
  SENTIMENT_PLATFORM: 'acme',
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
