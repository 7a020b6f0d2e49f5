import test from 'ava';
import {
  checkPlatform,
  ingressMode,
  InvalidSpecError,
  resolveChecked,
  type SentimentPlatformSpec,
} from '../src/index.js';
import { INVALID, REFUSED_AFTER_RESOLUTION } from './cases.js';

for (const [c, what] of [
  ...INVALID.map((c) => [c, "the TypeScript twin of the API server's checks"] as const),
  ...REFUSED_AFTER_RESOLUTION.map((c) => [c, 'the LLM sizing'] as const),
]) {
  test(`${what} rejects: ${c.title}`, (t) => {
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

test('a self-hosted model the sizing cannot check is a warning naming parameters and extraArgs', (t) => {
  const llm = (selfHosted: object) =>
    checkPlatform({
      metadata: { name: 'acme' },
      spec: { ingress: { enabled: false }, llm: { provider: 'self-hosted', selfHosted } },
    });
  const unknown = llm({ model: 'acme/Custom-Model' });
  t.truthy(unknown.resolved);
  t.is(unknown.warnings.length, 1);
  t.regex(unknown.warnings[0]!, /not in the operator's model table.*llm\.selfHosted\.parameters.*extraArgs/);
  const counted = llm({
    model: 'acme/Custom-Model',
    parameters: 3_000_000_000,
    extraArgs: ['--max-model-len', '8192'],
  });
  t.regex(counted.warnings[0]!, /fits g5\.2xlarge by its parameter count/);
  t.like(counted.resolved?.llm, { selfHosted: { parameters: 3e9, extraArgs: ['--max-model-len', '8192'] } });
  t.deepEqual(llm({ model: 'meta-llama/Llama-3.1-8B-Instruct' }).warnings, []);
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
  const host = { ingress: { host: 'acme.example.com' } };
  const v = checkPlatform({ metadata: { name: 'acme' }, spec: host });
  t.truthy(v.resolved);
  t.deepEqual(v.warnings.length, 1);
  t.regex(v.warnings[0]!, /serviceAccount\.iamRoleArn/);
  const withRole = checkPlatform({
    metadata: { name: 'acme' },
    spec: { ...host, serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/x' } },
  });
  t.deepEqual(withRole.warnings, []);
});

test('an Ingress without a host: HTTPS has nothing to serve on, so no Ingress and a warning; opt-outs are silent', (t) => {
  const role = { serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/x' } };
  const hostless = checkPlatform({ metadata: { name: 'acme' }, spec: role });
  t.truthy(hostless.resolved);
  t.is(ingressMode(hostless.resolved!.ingress), 'none');
  t.is(hostless.warnings.length, 1);
  t.regex(hostless.warnings[0]!, /ingress\.host is unset.*reachable only inside the cluster/);
  for (const [ingress, mode] of [
    [{ enabled: false }, 'none'],
    [{ tls: { enabled: false } }, 'http'],
    [{ host: 'acme.example.com', tls: { enabled: false } }, 'http'],
    [{ host: 'acme.example.com' }, 'https'],
  ] as const) {
    const v = checkPlatform({ metadata: { name: 'acme' }, spec: { ...role, ingress } });
    t.deepEqual(v.warnings, [], JSON.stringify(ingress));
    t.is(ingressMode(v.resolved!.ingress), mode, JSON.stringify(ingress));
  }
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
