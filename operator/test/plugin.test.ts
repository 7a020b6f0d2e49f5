// kubectl-sentiment, the kubectl plugin, run as kubectl runs it: a child process with the user's KUBECONFIG,
// against the real API server (test/env) and platforms an in-process operator reconciled. The operator is
// stopped once every platform has its status, so what the plugin reads cannot move under the assertions,
// and so that the drift made by hand stays for describe to find.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { LABELS, MANAGED_BY, type SentimentPlatform } from '@sentiment/crds';
import { cents } from '../src/cost/index.js';
import { differences } from '../src/plugin/describe.js';
import type { Manager } from '../src/manager.js';
import {
  builtWorkloads,
  condition,
  createPlatform,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  patchSpec,
  startOperator,
  tempNamespace,
  waitFor,
} from './operator/harness.js';

const OPERATOR = fileURLToPath(new URL('../', import.meta.url));

function plugin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--import=tsx', '--conditions=source', 'src/plugin/cli.ts', ...args],
      { cwd: OPERATOR, env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const spec = {
  profile: 'demo' as const,
  ...builtWorkloads,
  llm: {
    provider: 'bedrock' as const,
    bedrock: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1' },
  },
  ingress: { host: 'plugin.sentiment.example.com' },
  serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/sentiment-plugin' },
};

let ns: string;
/** Where the operator chart's Deployment is applied (never run: zero replicas), for describe to read. */
let operatorNs: string;
let operator: Manager | undefined;
let tmp: string;

/** The operator in the test runs with the test data services' CA, as the chart's caBundle sets it. */
const asOperator = () => ['--operator-namespace', ns, '--data-ca-file', env.DATA_CA_FILE];

test.before(async () => {
  await installCrd();
  ns = await tempNamespace('plugin');
  operatorNs = await tempNamespace('plugin-op');
  tmp = mkdtempSync(join(tmpdir(), 'plugin-test-'));
  await createPlatform(ns, 'acme', spec);
  await createPlatform(ns, 'beta', { ...spec, hibernate: true });
  // Admitted (CEL sees no conflict), but the demo profile's ml.autoscaling.max is below this min.
  await createPlatform(ns, 'broken', { profile: 'demo', ml: { autoscaling: { min: 50 } } });
  operator = startOperator([ns]);
  await operator.start();
  for (const name of ['acme', 'beta']) {
    // Status comes after apply and prune: by then every child is there.
    await waitFor(
      `${name} applied`,
      async () => {
        const p = await getPlatform(ns, name);
        return !!p?.status?.estimatedMonthlyCost && condition(p, 'DataServicesReady')?.status === 'True';
      },
      60_000,
    );
  }
  await waitFor(
    'broken Degraded',
    async () => condition(await getPlatform(ns, 'broken'), 'Degraded')?.reason === 'InvalidSpec',
  );
  await operator.stop();
  operator = undefined;
});

test.after.always(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (ns) {
    // Deleted while an operator runs, so that its finalizer removes the tenant data it provisioned.
    if (!operator) {
      operator = startOperator([ns]);
      await operator.start();
    }
    for (const name of ['acme', 'beta', 'broken']) await deletePlatform(ns, name).catch(() => undefined);
    await waitFor('platforms gone', async () => (await livePlatforms()).length === 0, 60_000).catch(
      () => undefined,
    );
  }
  await operator?.stop();
  for (const n of [ns, operatorNs])
    if (n) await kubectl(['delete', 'namespace', n, '--wait=false']).catch(() => undefined);
});

async function livePlatforms(): Promise<SentimentPlatform[]> {
  return (JSON.parse(await kubectl(['get', 'sp', '-n', ns, '-o', 'json'])) as { items: SentimentPlatform[] })
    .items;
}

const row = (stdout: string, name: string) => stdout.split('\n').find((l) => l.split(/\s+/)[1] === name);

test('unknown command exits 2 with the usage; no command prints it too; --help per command', async (t) => {
  const [unknown, none, bad, ...helps] = await Promise.all([
    plugin(['frobnicate']),
    plugin([]),
    plugin(['status', '--frob']),
    ...['status', 'describe', 'cost'].map((c) => plugin([c, '--help'])),
  ]);
  t.is(unknown!.code, 2);
  t.regex(unknown!.stderr, /unknown command "frobnicate"/);
  t.regex(unknown!.stderr, /status .*\n\s+describe .*\n\s+cost /);
  t.is(none!.code, 2);
  t.is(bad!.code, 2);
  t.regex(bad!.stderr, /Unknown option '--frob'[\s\S]*usage: kubectl sentiment status/);
  for (const [i, command] of ['status', 'describe', 'cost'].entries()) {
    t.is(helps[i]!.code, 0, helps[i]!.stderr);
    t.regex(helps[i]!.stdout, new RegExp(`^usage: kubectl sentiment ${command}`));
  }
});

test('differences: the leaves isSubset rejects, quantities by value, extra live items by count', (t) => {
  const desired = { spec: { cpu: '500m', env: [{ name: 'A', value: '1' }], image: 'b' } };
  t.deepEqual(differences(desired, { spec: { cpu: 0.5, env: [{ name: 'A', value: '1' }], image: 'b' } }), []);
  t.deepEqual(
    differences(desired, {
      spec: { cpu: '1', env: [{ name: 'A', value: '2' }, { name: 'B' }], image: 'b', extra: true },
    }),
    [
      { path: 'spec.cpu', live: '1', desired: '500m' },
      { path: 'spec.env[0].value', live: '2', desired: '1' },
      { path: 'spec.env.length', live: 2, desired: 1 },
    ],
  );
  t.deepEqual(differences({ metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }, { metadata: {} }), [
    { path: 'metadata.labels', live: undefined, desired: { 'app.kubernetes.io/name': 'x' } },
  ]);
});

test.serial('status: a row per platform, phase and cost as the API server has them', async (t) => {
  const [table, json, one, all, named] = await Promise.all([
    plugin(['status', '-n', ns]),
    plugin(['status', '-n', ns, '-o', 'json']),
    plugin(['status', '-n', ns, 'acme']),
    plugin(['status', '-A']),
    plugin(['status', '-A', 'acme']),
  ]);
  const { code, stdout, stderr } = table;
  t.is(code, 0, stderr);
  t.regex(stdout, /^NAMESPACE\s+NAME\s+PHASE\s+READY\s+COMPONENTS\s+COST\/MONTH\s+FLAGS\s+LAST ERROR\n/);
  const live = await livePlatforms();
  t.deepEqual(live.map((p) => p.metadata.name).sort(), ['acme', 'beta', 'broken']);
  for (const p of live) {
    const line = row(stdout, p.metadata.name);
    t.truthy(line, stdout);
    t.is(line!.split(/\s+/)[2], p.status?.phase, line);
    const total = p.status?.estimatedMonthlyCost?.total;
    if (total !== undefined) t.true(line!.includes(`$${total.toFixed(2)}`), line);
  }
  t.regex(row(stdout, 'acme')!, /api \d+\/\d+ worker \d+\/\d+ ml \d+\/\d+/);
  t.regex(row(stdout, 'beta')!, /\shibernated\s/);
  t.regex(row(stdout, 'acme')!, /\s-$/, 'no error');
  t.regex(row(stdout, 'broken')!, /InvalidSpec: .*ml\.autoscaling\.min \(50\) exceeds ml\.autoscaling\.max/);

  t.is(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as {
    name: string;
    phase: string | null;
    estimatedMonthlyCost: number | null;
    hibernated: boolean;
    lastError: { reason: string } | null;
  }[];
  for (const p of live) {
    const r = rows.find((r) => r.name === p.metadata.name)!;
    t.is(r.phase, p.status?.phase ?? null);
    t.is(r.estimatedMonthlyCost, p.status?.estimatedMonthlyCost?.total ?? null);
  }
  t.is(rows.find((r) => r.name === 'broken')?.lastError?.reason, 'InvalidSpec');
  t.true(rows.find((r) => r.name === 'beta')?.hibernated);

  t.is(one.code, 0, one.stderr);
  t.deepEqual(
    one.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[1]),
    ['acme'],
  );
  t.is(all.code, 0, all.stderr);
  t.true(all.stdout.split('\n').some((l) => l.startsWith(`${ns} `) && l.split(/\s+/)[1] === 'acme'));
  t.is(named.code, 2, 'no NAME across namespaces');
});

test.serial(
  'API errors exit 1 with the server message; --kubeconfig, --context, the namespace of the context',
  async (t) => {
    const [missing, context] = await Promise.all([
      plugin(['status', '-n', ns, 'nope']),
      plugin(['status', '--context', 'no-such-context']),
    ]);
    t.is(missing.code, 1);
    t.regex(missing.stderr, /sentimentplatforms\.sentiment\.analytics\.dev "nope" not found/);
    t.is(context.code, 1);
    t.regex(context.stderr, /context "no-such-context" does not exist/);

    // Kubeconfigs of their own (the environment's is shared): one whose context names the namespace, so
    // no -n is needed, as with kubectl; one whose server refuses connections.
    const config = parse(readFileSync(env.KUBECONFIG, 'utf8')) as {
      contexts: { name: string; context: { namespace?: string } }[];
      clusters: { cluster: { server: string } }[];
    };
    const write = (name: string, edit: (c: typeof config) => void) => {
      const copy = structuredClone(config);
      edit(copy);
      writeFileSync(join(tmp, name), stringify(copy), { mode: 0o600 });
      return join(tmp, name);
    };
    const inNs = write('in-ns', (c) => c.contexts.forEach((x) => (x.context.namespace = ns)));
    const refused = write('refused', (c) =>
      c.clusters.forEach((x) => (x.cluster.server = 'https://127.0.0.1:1')),
    );
    const [viaContext, down, noFile] = await Promise.all([
      plugin(['status', '--kubeconfig', inNs, '--context', config.contexts[0]!.name]),
      plugin(['cost', '--kubeconfig', refused]),
      plugin(['status', '--kubeconfig', join(tmp, 'absent')]),
    ]);
    t.is(viaContext.code, 0, viaContext.stderr);
    t.truthy(row(viaContext.stdout, 'acme'), viaContext.stdout);
    t.is(down.code, 1);
    t.regex(down.stderr, /^kubectl sentiment cost: .*ECONNREFUSED/);
    t.is(noFile.code, 1);
    t.regex(noFile.stderr, /cannot load the kubeconfig: .*ENOENT/);
  },
);

test.serial('cost: each tenant awake and hibernated, a fleet total that sums them', async (t) => {
  const live = await livePlatforms();
  const [json, text, detail] = await Promise.all([
    plugin(['cost', '-n', ns, '-o', 'json']),
    plugin(['cost', '-n', ns]),
    plugin(['cost', '-n', ns, '--detail']),
  ]);
  const { code, stdout, stderr } = json;
  t.is(code, 0, stderr);
  const report = JSON.parse(stdout) as {
    platforms: { name: string; estimate: number | null; hibernated: number | null; problem?: string }[];
    total: { tenants: number; estimate: number; hibernated: number };
  };
  const byName = (n: string) => report.platforms.find((p) => p.name === n)!;
  for (const p of live) t.is(byName(p.metadata.name).estimate, p.status?.estimatedMonthlyCost?.total ?? null);
  t.true(byName('acme').hibernated! < byName('acme').estimate!, 'hibernating saves');
  t.is(byName('beta').hibernated, byName('beta').estimate, "beta is hibernated: the operator's own figure");
  t.is(byName('broken').hibernated, null);
  t.regex(byName('broken').problem!, /ml\.autoscaling\.min/);
  const sum = (xs: (number | null)[]) => cents(xs.reduce<number>((s, x) => s + (x ?? 0), 0));
  t.deepEqual(report.total, {
    tenants: 3,
    estimate: sum(report.platforms.map((p) => p.estimate)),
    hibernated: sum(report.platforms.map((p) => p.hibernated)),
  });

  t.is(text.code, 0, text.stderr);
  const acme = row(text.stdout, 'acme')!;
  t.true(acme.includes(`$${byName('acme').estimate!.toFixed(2)}`), acme);
  t.true(acme.includes(`$${byName('acme').hibernated!.toFixed(2)}`), acme);
  t.regex(
    text.stdout,
    new RegExp(
      `fleet total\\s+3 tenant\\(s\\)\\s+\\$${report.total.estimate.toFixed(2)}\\s+\\$${report.total.hibernated.toFixed(2)}`,
    ),
  );
  t.is(detail.code, 0, detail.stderr);
  t.regex(detail.stdout, new RegExp(`${ns}/acme \\(platform: [\\s\\S]*\\nhibernated {7}\\$`));
});

test.serial(
  'describe: what the operator applied is unchanged; an invalid spec changes nothing',
  async (t) => {
    const [acme, beta, broken, unnamed] = await Promise.all([
      plugin(['describe', 'acme', '-n', ns, ...asOperator()]),
      plugin(['describe', 'beta', '-n', ns, ...asOperator()]),
      plugin(['describe', 'broken', '-n', ns, ...asOperator()]),
      plugin(['describe', '-n', ns]),
    ]);
    const { code, stdout, stderr } = acme;
    t.is(code, 0, stderr);
    t.regex(stdout, new RegExp(`^SentimentPlatform ${ns}/acme: phase \\w+`));
    t.regex(stdout, /synth options: --data-ca-file and run's defaults \(no operator Deployment in /);
    t.regex(stdout, /conditions:\n\s+TYPE\s+STATUS\s+REASON\s+MESSAGE\n[\s\S]*DataServicesReady\s+True/);
    const changes = stdout.slice(stdout.indexOf('changes:\n')).split('\n').slice(1, -2);
    t.true(changes.length > 10, stdout);
    for (const line of changes) t.regex(line, /^\s+(unchanged|not compared)\s+\S+\/\S+/, stdout);
    for (const object of [
      'Deployment/acme-api',
      'ConfigMap/acme-config',
      'ConfigMap/acme-data-ca',
      'Ingress/acme-api',
    ])
      t.true(
        changes.some((l) => l.includes(` ${object}`) && l.includes('unchanged')),
        object,
      );
    t.regex(stdout, /not compared\s+Secret\/acme-auth/);
    t.regex(stdout, /\nsummary: \d+ unchanged, 2 not compared\n$/);

    t.is(beta.code, 0, beta.stderr);
    t.regex(beta.stdout, /spec\.hibernate is true/);
    t.notRegex(beta.stdout, /would /);

    t.is(broken.code, 0, broken.stderr);
    t.regex(
      broken.stdout,
      /invalid spec: the operator builds nothing[^\n]*\n\s+- ml\.autoscaling\.min \(50\)/,
    );
    t.regex(broken.stdout, /Degraded\s+True\s+InvalidSpec/);
    t.is(unnamed.code, 2, 'NAME is required');
  },
);

test.serial(
  "describe: the synth options of the operator chart's Deployment, flags override them",
  async (t) => {
    // The chart as installed with the test CA: describe reads --data-ca-file and the CA's ConfigMap from it.
    const rendered = await new Promise<string>((resolve, reject) =>
      execFile(
        env.HELM,
        [
          'template',
          'sentiment-operator',
          fileURLToPath(new URL('../../charts/sentiment-operator', import.meta.url)),
          '-n',
          operatorNs,
          '--set-file',
          `dataServices.caBundle=${env.DATA_CA_FILE}`,
          '--show-only',
          'templates/deployment.yaml',
          '--show-only',
          'templates/data-ca.yaml',
        ],
        (err, out, errOut) => (err ? reject(new Error(errOut || err.message)) : resolve(out)),
      ),
    );
    const docs = parseAllDocuments(rendered).map(
      (d) => d.toJS() as { kind: string; spec?: { replicas?: number } },
    );
    for (const d of docs) if (d.kind === 'Deployment') d.spec!.replicas = 0; // read, never run
    t.deepEqual(docs.map((d) => d.kind).sort(), ['ConfigMap', 'Deployment']);
    await kubectl(['apply', '-n', operatorNs, '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));

    const [fromChart, overridden, defaults, unmonitored, served] = await Promise.all([
      plugin(['describe', 'acme', '-n', ns, '--operator-namespace', operatorNs]),
      plugin([
        'describe',
        'acme',
        '-n',
        ns,
        '--operator-namespace',
        operatorNs,
        '--ingress-group',
        'other-group',
      ]),
      plugin(['describe', 'acme', '-n', ns, '--operator-namespace', ns]),
      plugin(['describe', 'acme', '-n', ns, ...asOperator(), '--tenant-monitoring', 'off']),
      kubectl(['api-resources', '--api-group=monitoring.coreos.com', '-o', 'name']),
    ]);
    t.is(fromChart.code, 0, fromChart.stderr);
    t.regex(
      fromChart.stdout,
      new RegExp(`synth options: operator Deployment ${operatorNs}/sentiment-operator; tenant monitoring `),
    );
    t.notRegex(fromChart.stdout, /would /);

    t.is(overridden.code, 0, overridden.stderr);
    t.regex(overridden.stdout, /overridden by --ingress-group/);
    t.regex(
      overridden.stdout,
      /would update\s+Ingress\/acme-api\n(\s+\S+: .*\n)*\s+metadata\.annotations\["alb\.ingress\.kubernetes\.io\/group\.name"\]: "sentiment-platform" → "other-group"/,
    );

    // Without the CA (no Deployment to read it from), every object that carries it would change.
    t.is(defaults.code, 0, defaults.stderr);
    t.regex(defaults.stdout, /would prune\s+ConfigMap\/acme-data-ca/);
    t.regex(defaults.stdout, /would update\s+Deployment\/acme-api/);

    // Tenant monitoring off, where the cluster serves the Prometheus Operator's kinds: the worker's Service
    // (there for the scrape) goes; the operator no longer watches ServiceMonitors, so it leaves them.
    t.is(unmonitored.code, 0, unmonitored.stderr);
    t.regex(unmonitored.stdout, /; tenant monitoring off; worker scaling /);
    if (served.includes('servicemonitors')) {
      t.regex(unmonitored.stdout, /would prune\s+Service\/acme-worker/);
      t.notRegex(unmonitored.stdout, /ServiceMonitor/);
    } else t.notRegex(unmonitored.stdout, /would /);
  },
);

test.serial('describe: drift made by hand shows as would create / would update / would prune', async (t) => {
  await kubectl(['delete', 'configmap', 'acme-config', '-n', ns]);
  await kubectl([
    'patch',
    'deployment',
    'acme-api',
    '-n',
    ns,
    '--type=json',
    '-p',
    JSON.stringify([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'example.invalid/drift:1' },
    ]),
  ]);
  // An object of the platform (its label, its controller reference) that the spec does not ask for.
  const uid = (await getPlatform(ns, 'acme'))!.metadata.uid!;
  await kubectl(
    ['apply', '-n', ns, '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'acme-leftover',
        labels: { [LABELS.platform]: 'acme', [LABELS.managedBy]: MANAGED_BY },
        ownerReferences: [
          {
            apiVersion: 'sentiment.analytics.dev/v1alpha1',
            kind: 'SentimentPlatform',
            name: 'acme',
            uid,
            controller: true,
          },
        ],
      },
    }),
  );
  await patchSpec(ns, 'acme', { paused: true });

  const { code, stdout, stderr } = await plugin(['describe', 'acme', '-n', ns, ...asOperator()]);
  t.is(code, 0, stderr);
  t.regex(stdout, /spec\.paused is true: the operator changes nothing until it is unpaused/);
  t.regex(stdout, /would create\s+ConfigMap\/acme-config\n/);
  t.regex(
    stdout,
    new RegExp(
      `would update\\s+Deployment/acme-api\\n(\\s+\\S+: .*\\n)*\\s+spec\\.template\\.spec\\.containers\\[0\\]\\.image: "example\\.invalid/drift:1" → "${env.API_IMAGE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`,
    ),
  );
  t.regex(stdout, /would prune\s+ConfigMap\/acme-leftover/);
  t.regex(stdout, /unchanged\s+Service\/acme-api/);
  t.regex(stdout, /summary: 1 would create, 1 would update, 1 would prune, \d+ unchanged, 2 not compared\n$/);
});
