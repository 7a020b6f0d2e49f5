import test from 'ava';
import { checkPlatform, InvalidSpecError, resolveChecked, type SentimentPlatformSpec } from '../src/index.js';
import { INVALID } from './cases.js';

for (const c of INVALID) {
  test(`the TypeScript twin of the API server's checks rejects: ${c.title}`, (t) => {
    const { problems } = checkPlatform({
      metadata: { name: c.name ?? 'acme' },
      spec: c.spec as SentimentPlatformSpec,
    });
    t.is(problems.length, 1, problems.join('\n'));
    t.true(problems[0]!.includes(c.message), problems[0]);
  });
}

test('a valid spec has no problems and resolves', (t) => {
  const v = checkPlatform({
    metadata: { name: 'acme' },
    spec: {
      llm: {
        provider: 'self-hosted',
        selfHosted: { model: 'meta-llama/Llama-3.1-70B-Instruct-AWQ', instanceType: 'g5.12xlarge' },
      },
    },
  });
  t.deepEqual(v.problems, []);
  t.is(v.resolved?.llm.provider, 'self-hosted');
});

test('bounds that only clash once the profile is applied are caught after resolution', (t) => {
  // min 5 alone passes CEL (no max written), but the demo preset's max is 3.
  const v = checkPlatform({ metadata: { name: 'acme' }, spec: { api: { autoscaling: { min: 5 } } } });
  t.is(v.resolved, undefined);
  t.regex(
    v.problems[0]!,
    /api\.autoscaling\.min \(5\) exceeds api\.autoscaling\.max \(3\) once the profile is applied/,
  );
});

test('Bedrock without an IAM role is a warning, not an error', (t) => {
  const v = checkPlatform({ metadata: { name: 'acme' }, spec: {} });
  t.truthy(v.resolved);
  t.regex(v.warnings[0]!, /serviceAccount\.iamRoleArn/);
  const withRole = checkPlatform({
    metadata: { name: 'acme' },
    spec: { serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/x' } },
  });
  t.deepEqual(withRole.warnings, []);
});

test('resolveChecked throws InvalidSpecError carrying every problem', (t) => {
  const err = t.throws(
    () => resolveChecked({ metadata: { name: 'acme' }, spec: INVALID[0]!.spec as SentimentPlatformSpec }),
    {
      instanceOf: InvalidSpecError,
    },
  );
  t.is(err?.problems.length, 1);
});
