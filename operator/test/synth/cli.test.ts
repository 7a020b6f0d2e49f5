// The CLI as a user runs it: a child process per invocation, exit codes and streams checked.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';

const OPERATOR = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const CRD_FILE = fileURLToPath(new URL('../../../crds/generated/sentimentplatforms.yaml', import.meta.url));

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import=tsx', '--conditions=source', 'src/cli.ts', ...args],
      { cwd: OPERATOR, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `${EXAMPLES}${f}`);

test('render: every example renders to parseable YAML, platforms in file order', async (t) => {
  t.true(examples.length >= 5);
  const { code, stdout, stderr } = await cli(['render', ...examples.flatMap((f) => ['-f', f])]);
  t.is(code, 0, stderr);
  const docs = parseAllDocuments(stdout).map(
    (d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } },
  );
  t.true(docs.length > 100);
  const platforms = new Set(docs.map((d) => d.metadata.namespace));
  t.true(platforms.has('tenant-acme') && platforms.has('tenant-piedpiper'));
  t.true(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'piedpiper-llm'));
});

test('render: stdin, -n for platforms without a namespace, warnings on stderr', async (t) => {
  const manifest =
    'apiVersion: sentiment.analytics.dev/v1alpha1\nkind: SentimentPlatform\nmetadata: { name: solo }\nspec: {}\n';
  const { code, stdout, stderr } = await cli(['render', '-f', '-', '-n', 'tenant-solo'], manifest);
  t.is(code, 0, stderr);
  t.regex(stdout, /name: solo-api\n\s+namespace: tenant-solo/);
  t.regex(stderr, /warning: -: solo: .*iamRoleArn/);
});

test('render: an impossible spec fails with the admission message and exit code 1', async (t) => {
  const manifest = `apiVersion: sentiment.analytics.dev/v1alpha1
kind: SentimentPlatform
metadata: { name: gpu-on-fargate }
spec: { llm: { provider: self-hosted, selfHosted: { model: m, capacity: fargate } } }
`;
  const { code, stdout, stderr } = await cli(['render', '-f', '-'], manifest);
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(
    stderr,
    /gpu-on-fargate: invalid SentimentPlatform spec:\n- self-hosted LLM needs GPU nodes; Fargate has no GPUs/,
  );
});

test('render and run: --dashboard-origin reaches the ConfigMap; anything but an origin is a usage error', async (t) => {
  const manifest =
    'apiVersion: sentiment.analytics.dev/v1alpha1\nkind: SentimentPlatform\nmetadata: { name: solo, namespace: tenant-solo }\nspec: {}\n';
  const args = [
    '--dashboard-origin',
    'https://d123.cloudfront.net',
    '--dashboard-origin=https://a.example,https://b.example',
  ];
  const { code, stdout, stderr } = await cli(['render', '-f', '-', ...args], manifest);
  t.is(code, 0, stderr);
  const config = parseAllDocuments(stdout)
    .map((d) => d.toJS() as { kind: string; data?: Record<string, string> })
    .find((d) => d.kind === 'ConfigMap');
  t.is(config?.data?.CORS_ORIGINS, 'https://d123.cloudfront.net,https://a.example,https://b.example');
  // run refuses it before it connects anywhere.
  for (const command of [['render', '-f', '-'], ['run']]) {
    const bad = await cli([...command, '--dashboard-origin', 'https://d123.cloudfront.net/'], manifest);
    t.is(bad.code, 2, command[0]);
    t.regex(
      bad.stderr,
      /--dashboard-origin: "https:\/\/d123\.cloudfront\.net\/" is not an exact http\(s\) origin/,
    );
  }
});

test('render and run: --default-image replaces the built-in references, keeps pinned ones; bad names are usage errors', async (t) => {
  const manifest = [
    'apiVersion: sentiment.analytics.dev/v1alpha1\nkind: SentimentPlatform\nmetadata: { name: plain, namespace: t }\nspec: { llm: { provider: self-hosted, selfHosted: { model: m, instanceType: g5.2xlarge } } }\n',
    'apiVersion: sentiment.analytics.dev/v1alpha1\nkind: SentimentPlatform\nmetadata: { name: pinned, namespace: t }\nspec: { ml: { image: "own/ml:7" } }\n',
  ].join('---\n');
  const { code, stdout, stderr } = await cli(
    [
      'render',
      '-f',
      '-',
      '--default-image',
      'api=mirror.example/api:1,ml=mirror.example/ml:1',
      '--default-image=vllm=mirror.example/vllm:1',
    ],
    manifest,
  );
  t.is(code, 0, stderr);
  const images = parseAllDocuments(stdout)
    .map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string };
          spec?: { template?: { spec?: { containers: { image: string }[] } } };
        },
    )
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .map((d) => `${d.metadata.name}=${d.spec!.template!.spec!.containers[0]!.image}`)
    .sort();
  t.deepEqual(images, [
    'pinned-api=mirror.example/api:1',
    'pinned-ml=own/ml:7',
    'pinned-worker=mirror.example/api:1',
    'plain-api=mirror.example/api:1',
    'plain-llm=mirror.example/vllm:1',
    'plain-ml=mirror.example/ml:1',
    'plain-worker=mirror.example/api:1',
  ]);
  for (const command of [['render', '-f', '-'], ['run']]) {
    const bad = await cli([...command, '--default-image', 'web=x:1'], manifest);
    t.is(bad.code, 2, command[0]);
    t.regex(
      bad.stderr,
      /--default-image: "web=x:1" is not NAME=IMAGE with NAME one of api, ml, vllm, llama-cpp/,
    );
  }
});

test('render: usage errors exit 2; a foreign kind is refused', async (t) => {
  t.is((await cli(['render'])).code, 2);
  t.is((await cli(['render', '--bogus'])).code, 2);
  const foreign = await cli(
    ['render', '-f', '-'],
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n',
  );
  t.is(foreign.code, 1);
  t.regex(
    foreign.stderr,
    /expected sentiment\.analytics\.dev\/v1alpha1 SentimentPlatform, found v1 ConfigMap/,
  );
});

test('crd prints the committed CRD; unknown commands list the table', async (t) => {
  const crd = await cli(['crd']);
  t.is(crd.code, 0);
  t.is(crd.stdout, readFileSync(CRD_FILE, 'utf8'));
  const unknown = await cli(['frobnicate']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "frobnicate"[\s\S]*render[\s\S]*crd/);
});
