import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/commands/cost.js';
import type { CostReport } from '../src/cost/index.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Runs the command with stdout/stderr captured (ava runs each file in its own process, serially here). */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: await run(argv), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test.serial('cost -f examples/demo.yaml prints a per-component table, the split and the total', async (t) => {
  const { code, out } = await cli(['-f', path.join(examples, 'demo.yaml')]);
  t.is(code, 0);
  t.regex(out, /^tenant-acme\/acme \(platform: demo/m);
  for (const component of [
    'eks-control-plane',
    'nat-gateway',
    'postgres',
    'redis',
    'opensearch',
    's3-cloudfront',
    'api',
    'worker',
    'ml',
    'llm',
    'load-balancer',
    'nat-data',
  ]) {
    t.regex(out, new RegExp(`^${component} `, 'm'), component);
  }
  t.regex(out, /^platform fixed +\$\d+\.\d\d$/m);
  t.regex(out, /^per tenant +\$\d+\.\d\d$/m);
  t.regex(out, /^standalone total +\$\d+\.\d\d/m);
  t.regex(out, /^assumptions:$/m);
  // The same tenant hibernated, next to its awake figure: demo on Bedrock behind the shared ALB adds $0.
  const perTenant = Number(/^per tenant +\$(\d+\.\d\d)$/m.exec(out)![1]);
  const [, asleep, share] = /^hibernated +\$(\d+\.\d\d) per tenant, \$(\d+\.\d\d) tenant share/m.exec(out)!;
  t.true(perTenant > 0);
  t.is(asleep, '0.00');
  t.is(share, /^platform fixed +\$(\d+\.\d\d)$/m.exec(out)![1]);
});

test.serial(
  '--json gives the full report for every platform in a file; --tenants shares the platform',
  async (t) => {
    const { code, out } = await cli([
      '-f',
      path.join(examples, 'multi-tenant.yaml'),
      '--json',
      '--tenants',
      '3',
    ]);
    t.is(code, 0);
    const reports = JSON.parse(out) as { name: string; report: CostReport }[];
    t.deepEqual(
      reports.map((r) => r.name),
      ['hooli', 'piedpiper', 'vandelay'],
    );
    for (const { report } of reports) {
      t.is(report.tenants, 3);
      t.is(report.currency, 'USD');
      t.true(Math.abs(report.tenantShare - (report.perTenant + report.platformFixed / 3)) < 1e-9);
      t.true(report.assumptions.length > 0);
    }
    t.is(
      reports.find((r) => r.name === 'piedpiper')?.report.lines.find((l) => l.component === 'llm')?.item,
      'gpu',
    );
  },
);

test.serial('every example prices without error', async (t) => {
  for (const file of ['demo', 'production', 'ultra-low-cost', 'self-hosted-llm', 'multi-tenant']) {
    const { code, err } = await cli(['-f', path.join(examples, `${file}.yaml`)]);
    t.is(code, 0, `${file}: ${err}`);
  }
});

test.serial('usage errors exit 2, bad input exits 1 with the reason', async (t) => {
  t.is((await cli([])).code, 2);
  t.is((await cli(['-f', path.join(examples, 'demo.yaml'), '--tenants', '0'])).code, 2);
  const missing = await cli(['-f', '/nonexistent.yaml']);
  t.is(missing.code, 1);
  t.regex(missing.err, /nonexistent/);
  const dir = mkdtempSync(path.join(tmpdir(), 'cost-'));
  const invalid = path.join(dir, 'bad.yaml');
  writeFileSync(
    invalid,
    // A self-hosted LLM without a model is refused by the admission rules.
    'apiVersion: sentiment.analytics.dev/v1alpha1\nkind: SentimentPlatform\nmetadata: { name: x }\nspec: { llm: { provider: self-hosted } }\n',
  );
  const bad = await cli(['-f', invalid]);
  t.is(bad.code, 1);
  t.regex(bad.err, /x: invalid SentimentPlatform spec/);
});
