// The fleet rollout of a new operator template against the real API server and data services: four
// hibernated tenants (no pods: the one test node need not run them) take the template canary first, then
// one per wave; a tenant whose namespace refuses the new template (an admission policy) halts the rollout,
// the tenant after it keeps the old template, and `sentiment-operator fleet resume` finishes it.
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ROLLOUT_LABEL, type SentimentPlatform } from '@sentiment/crds';
import { run as runCommand } from '@sentiment/testenv';
import type { Manager } from '../../src/manager.js';
import type { Synthesize } from '../../src/reconcile/deps.js';
import { templateRevision } from '../../src/rollout/revision.js';
import { synthesizePlatform, type SynthOptions } from '../../src/synth/index.js';
import {
  builtWorkloads,
  condition,
  createPlatform,
  dataServicesCa,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const run = `${process.pid}-${Date.now().toString(36)}`;
const spec = { profile: 'demo' as const, ...builtWorkloads, hibernate: true };
// The template change: every tenant API allows one more dashboard origin (its ConfigMap's CORS_ORIGINS).
const v1: SynthOptions = { dataServicesCa };
const v2: SynthOptions = { dataServicesCa, dashboardOrigins: ['https://v2.example.com'] };
const synthesizeWith =
  (options: SynthOptions): Synthesize =>
  (p, r) =>
    synthesizePlatform(p, r, options);
const revisionOf = (options: SynthOptions) =>
  templateRevision(synthesizeWith(options), { prometheusOperator: false, keda: false });

const tenants: { ns: string; name: string }[] = [];
let stateNs: string;
let operator: Manager | undefined;
const policy = `rollout-test-${run}`;

test.before(async () => {
  await installCrd();
  // Keys sort as namespace/name: a, b, c, then the canary d, which must nevertheless go first.
  for (const letter of ['a', 'b', 'c', 'd']) {
    tenants.push({ ns: await tempNamespace(`rollout-${letter}`), name: `t${letter}` });
  }
  stateNs = await tempNamespace('rollout-state');
});

test.after.always(async () => {
  await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', policy]).catch(
    () => undefined,
  );
  // Deleted while an operator runs, so that the finalizer removes their data.
  if (!operator) {
    operator = startOperator(
      tenants.map((t) => t.ns),
      { synthesize: synthesizeWith(v2) },
    );
    await operator.start();
  }
  await Promise.all(tenants.map((t) => deletePlatform(t.ns, t.name).catch(() => undefined)));
  await waitFor(
    'platforms deleted',
    async () => (await Promise.all(tenants.map((t) => getPlatform(t.ns, t.name)))).every((p) => !p),
    90_000,
  ).catch(() => undefined);
  await operator.stop();
  for (const ns of [...tenants.map((t) => t.ns), stateNs])
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
async function fleetCli(args: string[]): Promise<{ code: number; out: string }> {
  const r = await runCommand(process.execPath, [
    '--import=tsx',
    '--conditions=source',
    CLI,
    'fleet',
    ...args,
  ]);
  return { code: r.code, out: r.stdout + r.stderr };
}
const fleetArgs = () => ['--operator-namespace', stateNs, '--kubeconfig', env.KUBECONFIG];

const platforms = () => Promise.all(tenants.map((t) => getPlatform(t.ns, t.name)));
const revisions = async () => (await platforms()).map((p) => p?.status?.templateRevision);
const corsOf = async (t: { ns: string; name: string }) =>
  (
    await kubectl(['get', 'configmap', `${t.name}-config`, '-n', t.ns, '-o', 'jsonpath={.data.CORS_ORIGINS}'])
  ).trim();

test.serial(
  'a new template reaches the canary first, then one wave at a time; a tenant that fails it halts the rollout; resume finishes it',
  async (t) => {
    const [r1, r2] = [revisionOf(v1), revisionOf(v2)];
    t.not(r1, r2, 'the dashboard origin is part of the template');

    // The fleet on template 1.
    operator = startOperator(
      tenants.map((x) => x.ns),
      { synthesize: synthesizeWith(v1), rollout: rolloutOptions() },
    );
    await operator.start();
    for (const x of tenants) await createPlatform(x.ns, x.name, spec);
    await waitFor(
      'every tenant Hibernated on template 1',
      async () =>
        (await platforms()).every(
          (p) => p?.status?.phase === 'Hibernated' && p.status.templateRevision === r1,
        ),
      120_000,
    );
    await operator.stop();
    operator = undefined;

    const [a, b, c, d] = tenants as [
      (typeof tenants)[0],
      (typeof tenants)[0],
      (typeof tenants)[0],
      (typeof tenants)[0],
    ];
    await kubectl(['label', 'sentimentplatform', d.name, '-n', d.ns, `${ROLLOUT_LABEL}=canary`]);
    await refuseNewTemplateIn(b.ns);

    // Template 2, one platform per wave.
    const order: string[] = [];
    operator = startOperator(
      tenants.map((x) => x.ns),
      { synthesize: synthesizeWith(v2), rollout: rolloutOptions() },
    );
    await operator.start();
    const watchOrder = setInterval(() => {
      void revisions().then((rs) =>
        rs.forEach((r, i) => {
          const name = tenants[i]!.name;
          if (r === r2 && !order.includes(name)) order.push(name);
        }),
      );
    }, 100);
    try {
      const halted = await waitFor(
        'the rollout halted',
        async () => {
          const out = await fleetCli(['status', ...fleetArgs()]);
          return /HALTED/.test(out.out) && out;
        },
        120_000,
        1000,
      );
      t.regex(halted.out, new RegExp(`HALTED +at ${b.ns}/${b.name} .*turned Degraded \\(ApplyFailed\\)`));
      t.deepEqual(order.slice(0, 2), [d.name, a.name], 'the canary first, then the first wave');
      const [, pb, pc] = await platforms();
      t.is(pb?.status?.phase, 'Degraded');
      t.is(pc?.status?.templateRevision, r1, 'the tenant after the failed one keeps template 1');
      t.is(condition(pc!, 'RolloutPending')?.reason, 'RolloutHalted');
      t.is(await corsOf(c), '', 'and its objects are as template 1 made them');
      t.is(await corsOf(a), 'https://v2.example.com');
      t.regex(halted.out, new RegExp(`${c.name} +${r1} +Hibernated +RolloutHalted`));

      // Fixed, then resumed by a person: b takes the template, then c.
      await kubectl(['delete', 'validatingadmissionpolicybinding', policy]);
      const resumed = await fleetCli(['resume', ...fleetArgs()]);
      t.is(resumed.code, 0, resumed.out);
      t.regex(resumed.out, new RegExp(`resumed the rollout of template ${r2}`));
      await waitFor(
        'every tenant Hibernated on template 2',
        async () =>
          (await platforms()).every(
            (p) => p?.status?.phase === 'Hibernated' && p.status.templateRevision === r2,
          ),
        120_000,
      );
      // The wait may see the last one turn before the watch does.
      await waitFor('the watch to see every tenant turn', async () => order.length === tenants.length, 5_000);
      t.deepEqual(order, [d.name, a.name, b.name, c.name]);
      for (const p of (await platforms()) as SentimentPlatform[])
        t.is(condition(p, 'RolloutPending'), undefined, `${p.metadata.name} waits for nothing`);
      // The CLI lists every platform of the cluster (other suites' too): ours are on template 2, waiting for nothing.
      const done = await fleetCli(['status', ...fleetArgs()]);
      t.notRegex(done.out, /HALTED/);
      for (const x of tenants)
        t.regex(done.out, new RegExp(`^${x.ns} +${x.name} +${r2} +Hibernated *$`, 'm'), done.out);
    } finally {
      clearInterval(watchOrder);
    }
  },
);

function rolloutOptions() {
  return {
    waveSize: 1,
    canaryLabel: `${ROLLOUT_LABEL}=canary`,
    progressDeadlineMs: 120_000,
    namespace: stateNs,
    pollMs: 300,
  };
}

/** An admission policy in `ns` refuses ConfigMaps that carry template 2's CORS_ORIGINS. */
async function refuseNewTemplateIn(ns: string): Promise<void> {
  await kubectl(['label', 'namespace', ns, `${policy}=refuse`]);
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicy',
          metadata: { name: policy },
          spec: {
            failurePolicy: 'Fail',
            matchConstraints: {
              resourceRules: [
                {
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  resources: ['configmaps'],
                  operations: ['CREATE', 'UPDATE'],
                },
              ],
              namespaceSelector: { matchLabels: { [policy]: 'refuse' } },
            },
            validations: [
              {
                expression: "!has(object.data) || !('CORS_ORIGINS' in object.data)",
                message: 'this namespace refuses the new template',
              },
            ],
          },
        },
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name: policy },
          spec: { policyName: policy, validationActions: ['Deny'] },
        },
      ],
    }),
  );
  // The API server loads policies asynchronously: wait until it refuses.
  await waitFor('the admission policy in force', async () => {
    const probe = await kubectl([
      'create',
      'configmap',
      'probe',
      '-n',
      ns,
      '--from-literal=CORS_ORIGINS=x',
      '--dry-run=server',
    ]).then(
      () => false,
      (err: Error) => /refuses the new template/.test(err.message),
    );
    return probe;
  });
}
