// Installs the rendered operator chart (whole-cluster mode, the default) into the real test API server and asks its
// authorizer what the operator's ServiceAccount may do: exactly what the operator uses, nothing more. The kinds it
// writes are derived from synth's output for every example, and its writes outside labelled tenant namespaces are
// refused by the chart's ValidatingAdmissionPolicy, shown by real requests made as the ServiceAccount.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  API_GROUP,
  API_VERSION,
  FINALIZER,
  KIND,
  TENANT_NAMESPACE_LABEL,
  type SentimentPlatform,
} from '@sentiment/crds';
import {
  DEFAULT_PROMETHEUS_NAMESPACE,
  KEDA_KINDS,
  MONITORING_KINDS,
  OWNED_KINDS,
  ROLLOUT_STATE_NAME,
  synthesize,
} from '@sentiment/operator';
import { waitFor } from '@sentiment/testenv';
import {
  ARGOCD_DIR,
  CLUSTER_SCOPED_KINDS,
  OPERATOR_CHART,
  REPO_DIR,
  TENANT_CHART,
  apply,
  canI,
  ensureCrd,
  helm,
  kubectl,
  must,
  removeRelease,
  uniqueName,
} from './helpers.js';

const release = uniqueName('spo');
const releaseNs = uniqueName('charts-sys');
const tenantNs = uniqueName('charts-tenant');
const otherNs = uniqueName('charts-other');
const saName = `${release}-sentiment-operator`;
const sa = `${releaseNs}:${saName}`;
const saUser = `system:serviceaccount:${sa}`;
const policy = `${release}-sentiment-operator-tenant-namespaces`;
let rendered = '';

/** kubectl as the operator's ServiceAccount (impersonated: its RBAC and the admission policy apply). */
const asOperator = (args: string[], input?: string) => kubectl([...args, `--as=${saUser}`], input);
const configMap = (name: string, namespace: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } });

test.before(async () => {
  await must(kubectl(['create', 'namespace', releaseNs]), 'create release namespace');
  await must(kubectl(['create', 'namespace', tenantNs]), 'create tenant namespace');
  await must(kubectl(['label', 'namespace', tenantNs, `${TENANT_NAMESPACE_LABEL}=true`]), 'label it');
  await must(kubectl(['create', 'namespace', otherNs]), 'create an unlabelled namespace');
  // The CRD is shared with other suites and checked in sync separately: this suite leaves it alone.
  rendered = await must(
    helm(['template', release, OPERATOR_CHART, '-n', releaseNs, '--set', 'crds.install=false']),
    'helm template',
  );
  await must(apply(rendered), 'apply the rendered chart');
  // The API server loads a new policy asynchronously: wait until it refuses a (dry-run) write, so the tests below
  // see it in force. Without a policy this times out and every test fails.
  await waitFor(
    'the admission policy to take effect',
    async () =>
      (await asOperator(['create', '--dry-run=server', '-f', '-'], configMap('probe', otherNs))).code !== 0,
    60_000,
    500,
  );
});

test.after.always(() => removeRelease(release, [releaseNs, tenantNs, otherNs]));

test('every object of the chart is accepted by the API server', async (t) => {
  const r = await kubectl([
    'get',
    'deployment,service,serviceaccount,poddisruptionbudget,networkpolicy,role,rolebinding',
    '-n',
    releaseNs,
    '-o',
    'name',
  ]);
  t.is(r.code, 0, r.stderr);
  // The cluster's ServiceAccount controller gives every namespace its `default` account.
  const names = r.stdout
    .trim()
    .split('\n')
    .filter((n) => n !== 'serviceaccount/default')
    .sort();
  t.deepEqual(names, [
    `deployment.apps/${release}-sentiment-operator`,
    `networkpolicy.networking.k8s.io/${release}-sentiment-operator`,
    `poddisruptionbudget.policy/${release}-sentiment-operator`,
    `role.rbac.authorization.k8s.io/${release}-sentiment-operator-fleet-rollout`,
    `role.rbac.authorization.k8s.io/${release}-sentiment-operator-leader-election`,
    `rolebinding.rbac.authorization.k8s.io/${release}-sentiment-operator-fleet-rollout`,
    `rolebinding.rbac.authorization.k8s.io/${release}-sentiment-operator-leader-election`,
    `service/${release}-sentiment-operator-metrics`,
    `serviceaccount/${release}-sentiment-operator`,
  ]);
  const cluster = await kubectl([
    'get',
    CLUSTER_SCOPED_KINDS,
    '-l',
    `app.kubernetes.io/instance=${release}`,
    '-o',
    'name',
  ]);
  t.deepEqual(cluster.stdout.trim().split('\n').sort(), [
    `clusterrole.rbac.authorization.k8s.io/${release}-sentiment-operator-manager`,
    `clusterrolebinding.rbac.authorization.k8s.io/${release}-sentiment-operator-manager`,
    `validatingadmissionpolicy.admissionregistration.k8s.io/${policy}`,
    `validatingadmissionpolicybinding.admissionregistration.k8s.io/${policy}`,
  ]);
});

/** Every SentimentPlatform the repository ships: examples/*.yaml, the Argo CD tenants, the tenant chart's CI values. */
function examplePlatforms(): Pick<SentimentPlatform, 'metadata' | 'spec'>[] {
  const platforms: Pick<SentimentPlatform, 'metadata' | 'spec'>[] = [];
  const examples = join(REPO_DIR, 'examples');
  for (const file of readdirSync(examples).filter((f) => f.endsWith('.yaml')))
    for (const doc of parseAllDocuments(readFileSync(join(examples, file), 'utf8'))) {
      const o = doc.toJS() as SentimentPlatform | null;
      if (o?.kind === 'SentimentPlatform') platforms.push(o);
    }
  const valueFiles = [
    ...readdirSync(join(ARGOCD_DIR, 'tenants')).map((d) => join(ARGOCD_DIR, 'tenants', d, 'values.yaml')),
    ...readdirSync(join(TENANT_CHART, 'ci')).map((f) => join(TENANT_CHART, 'ci', f)),
  ];
  for (const file of valueFiles) {
    const v = parse(readFileSync(file, 'utf8')) as { name: string; spec: SentimentPlatform['spec'] };
    platforms.push({ metadata: { name: v.name, namespace: 'tenant' }, spec: v.spec });
  }
  return platforms;
}

/** `group/plural` of an apiVersion's kind, from the API server's discovery document. */
const discovery = new Map<string, Promise<{ name: string; kind: string }[]>>();
async function resourceOf(apiVersion: string, kind: string): Promise<string> {
  if (!discovery.has(apiVersion)) {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    discovery.set(
      apiVersion,
      must(kubectl(['get', '--raw', path]), `discover ${apiVersion}`).then(
        (json) => (JSON.parse(json) as { resources: { name: string; kind: string }[] }).resources,
      ),
    );
  }
  const found = (await discovery.get(apiVersion)!).find((r) => r.kind === kind && !r.name.includes('/'));
  if (!found) throw new Error(`the API server serves no ${apiVersion} ${kind}`);
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : 'core';
  return `${group}/${found.name}`;
}

/**
 * What the operator writes in tenant namespaces: every kind synth emits for any example, plus the Secrets the
 * reconciler writes itself (<name>-data, <name>-auth), which synth does not emit.
 */
async function writtenResources(): Promise<string[]> {
  const kinds = new Set(['v1 Secret']);
  // With tenant monitoring and KEDA, as the operator renders where the Prometheus Operator's and KEDA's CRDs
  // are served.
  const monitoring = { prometheusNamespace: DEFAULT_PROMETHEUS_NAMESPACE };
  // No example restores (a restore is a one-off): one more platform brings the restore's Job.
  const restoring = {
    metadata: { name: 'restoring', namespace: 'tenant-restoring' },
    spec: { restore: { backup: 'latest' }, backup: { bucket: 'backups' } },
  };
  for (const p of [...examplePlatforms(), restoring])
    for (const o of synthesize(p, { monitoring, keda: true }).objects) kinds.add(`${o.apiVersion} ${o.kind}`);
  const resources = await Promise.all(
    [...kinds].map((k) => resourceOf(...(k.split(' ') as [string, string]))),
  );
  return [...new Set(resources)].sort();
}

type Rule = {
  apiGroups: string[];
  resources: string[];
  verbs?: string[];
  operations?: string[];
  resourceNames?: string[];
};
type Doc = { kind?: string; rules?: Rule[]; spec?: { matchConstraints: { resourceRules: Rule[] } } } | null;
const renderedDocs = () => parseAllDocuments(rendered).map((d) => d.toJS() as Doc);
/** `group/resource verb` of each rule (`core` for the core group). */
const expand = (rules: Rule[], verbsOf: (r: Rule) => string[]) =>
  rules.flatMap((r) =>
    r.apiGroups.flatMap((g) =>
      r.resources.flatMap((res) =>
        verbsOf(r).map(
          (v) => `${g || 'core'}/${res} ${v}${r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''}`,
        ),
      ),
    ),
  );

test("the granted rules are exactly the operator needs: synth's kinds, its Secrets, its platforms, events, its Lease, the rollout's ConfigMap", async (t) => {
  const grants = renderedDocs().flatMap((o) =>
    o?.kind === 'ClusterRole' || o?.kind === 'Role'
      ? expand(o.rules ?? [], (r) => r.verbs ?? []).map((g) => `${o.kind} ${g}`)
      : [],
  );
  const owned = (await writtenResources()).flatMap((r) =>
    ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'].map((v) => `ClusterRole ${r} ${v}`),
  );
  const expected = [
    ...['get', 'list', 'watch', 'patch', 'update'].map(
      (v) => `ClusterRole sentiment.analytics.dev/sentimentplatforms ${v}`,
    ),
    ...['get', 'patch', 'update'].map(
      (v) => `ClusterRole sentiment.analytics.dev/sentimentplatforms/status ${v}`,
    ),
    'ClusterRole sentiment.analytics.dev/sentimentplatforms/finalizers update',
    ...owned,
    'ClusterRole events.k8s.io/events create',
    'ClusterRole events.k8s.io/events patch',
    'Role coordination.k8s.io/leases get [sentiment-operator]',
    'Role coordination.k8s.io/leases update [sentiment-operator]',
    'Role coordination.k8s.io/leases create',
    `Role core/configmaps get [${ROLLOUT_STATE_NAME}]`,
    `Role core/configmaps update [${ROLLOUT_STATE_NAME}]`,
    'Role core/configmaps create',
  ];
  t.deepEqual(grants.sort(), expected.sort());
});

test("every kind the operator's informers list and watch is granted, and nothing it does not watch", async (t) => {
  const watched = await Promise.all(
    [...OWNED_KINDS, ...MONITORING_KINDS, ...KEDA_KINDS].map((k) => resourceOf(k.apiVersion, k.kind)),
  );
  t.deepEqual(watched.sort(), await writtenResources());
});

test('the admission policy covers exactly the kinds the operator writes, on create, update and delete', async (t) => {
  const vap = renderedDocs().find((o) => o?.kind === 'ValidatingAdmissionPolicy');
  const rules = vap?.spec?.matchConstraints.resourceRules ?? [];
  t.deepEqual(
    expand(rules, (r) => r.operations ?? []).sort(),
    (await writtenResources())
      .flatMap((r) => ['CREATE', 'UPDATE', 'DELETE'].map((op) => `${r} ${op}`))
      .sort(),
  );
});

const allowed: [verb: string, resource: string, where: 'tenant' | 'release'][] = [
  ['patch', 'deployments.apps', 'tenant'],
  ['delete', 'secrets', 'tenant'],
  ['watch', 'configmaps', 'tenant'],
  ['update', 'horizontalpodautoscalers.autoscaling', 'tenant'],
  ['create', 'poddisruptionbudgets.policy', 'tenant'],
  ['delete', 'networkpolicies.networking.k8s.io', 'tenant'],
  ['patch', 'ingresses.networking.k8s.io', 'tenant'],
  ['create', 'resourcequotas', 'tenant'],
  ['list', 'sentimentplatforms.sentiment.analytics.dev', 'tenant'],
  ['patch', 'sentimentplatforms.sentiment.analytics.dev#status', 'tenant'],
  ['update', 'sentimentplatforms.sentiment.analytics.dev#finalizers', 'tenant'],
  ['create', 'events.events.k8s.io', 'tenant'],
  ['create', 'leases.coordination.k8s.io', 'release'],
  ['update', 'leases.coordination.k8s.io/sentiment-operator', 'release'],
  ['update', `configmaps/${ROLLOUT_STATE_NAME}`, 'release'],
];
for (const [verb, resource, where] of allowed) {
  test(`the operator can ${verb} ${resource} in the ${where} namespace`, async (t) => {
    t.true(await canI(sa, verb, resource, where === 'tenant' ? tenantNs : releaseNs));
  });
}

const denied: [verb: string, resource: string, namespace?: 'tenant' | 'release' | 'kube-system'][] = [
  ['list', 'pods', 'tenant'],
  ['create', 'pods', 'kube-system'],
  ['create', 'pods/exec', 'tenant'],
  ['delete', 'nodes'],
  ['create', 'namespaces'],
  ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
  ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ['bind', 'roles.rbac.authorization.k8s.io', 'tenant'],
  ['create', 'roles.rbac.authorization.k8s.io', 'tenant'],
  ['create', 'rolebindings.rbac.authorization.k8s.io', 'kube-system'],
  ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
  ['update', 'validatingadmissionpolicies.admissionregistration.k8s.io'],
  ['delete', 'validatingadmissionpolicybindings.admissionregistration.k8s.io'],
  // Kinds synth never emits.
  ['create', 'statefulsets.apps', 'tenant'],
  ['create', 'statefulsets.apps', 'kube-system'],
  ['create', 'persistentvolumeclaims', 'tenant'],
  ['create', 'daemonsets.apps', 'kube-system'],
  // The operator never creates or deletes a tenant's SentimentPlatform: people and Argo CD do.
  ['create', 'sentimentplatforms.sentiment.analytics.dev', 'tenant'],
  ['delete', 'sentimentplatforms.sentiment.analytics.dev', 'tenant'],
  ['delete', 'events.events.k8s.io', 'tenant'],
  ['create', 'events', 'tenant'],
  ['delete', 'sentimentplatforms.sentiment.analytics.dev#status', 'tenant'],
  ['patch', 'sentimentplatforms.sentiment.analytics.dev#finalizers', 'tenant'],
  ['create', 'serviceaccounts#token', 'tenant'],
  ['create', 'serviceaccounts#token', 'kube-system'],
  ['create', 'leases.coordination.k8s.io', 'tenant'],
  ['create', 'leases.coordination.k8s.io', 'kube-system'],
  ['update', 'leases.coordination.k8s.io/another-lease', 'release'],
  ['list', 'leases.coordination.k8s.io', 'release'],
];
const nsOf = (where: 'tenant' | 'release' | 'kube-system') =>
  where === 'tenant' ? tenantNs : where === 'release' ? releaseNs : where;
for (const [verb, resource, where] of denied) {
  test(`the operator cannot ${verb} ${resource}${where ? ` in the ${where} namespace` : ' cluster-wide'}`, async (t) => {
    t.false(await canI(sa, verb, resource, where === undefined ? undefined : nsOf(where)));
  });
}

// RBAC alone cannot keep a ClusterRole out of kube-system: the authorizer says yes there (whole-cluster mode
// lists and watches everywhere), and the admission policy refuses the write itself.
const refusal = (namespace: string) =>
  new RegExp(
    `ValidatingAdmissionPolicy '${policy}' .*denied request: ${saUser} may write only in tenant namespaces ` +
      `\\(labelled sentiment\\.analytics\\.dev/tenant=true\\); namespace ${namespace} is not one`,
  );

test('in kube-system the authorizer allows creating a Deployment, and the admission policy refuses it', async (t) => {
  t.true(await canI(sa, 'create', 'deployments.apps', 'kube-system'));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: uniqueName('intruder'), namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'x', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  };
  // Server-side dry-run: admission runs in full, and nothing lands in kube-system even if it were allowed.
  const r = await asOperator(['create', '--dry-run=server', '-f', '-'], JSON.stringify(deployment));
  t.not(r.code, 0);
  t.regex(r.stderr, refusal('kube-system'));
});

test('a Secret in kube-system: refused by the admission policy', async (t) => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'kube-system' } };
  const r = await asOperator(['create', '--dry-run=server', '-f', '-'], JSON.stringify(secret));
  t.not(r.code, 0);
  t.regex(r.stderr, refusal('kube-system'));
});

test('a ConfigMap in an unlabelled namespace: creating, changing and deleting it are refused', async (t) => {
  const created = await asOperator(['create', '-f', '-'], configMap('new', otherNs));
  t.not(created.code, 0);
  t.regex(created.stderr, refusal(otherNs));
  t.not((await kubectl(['get', 'configmap', 'new', '-n', otherNs])).code, 0, 'nothing was created');
  // One that exists (made by an admin): server-side apply (an update) and delete as the operator are refused too.
  await must(apply(configMap('existing', otherNs)), 'create a ConfigMap as an admin');
  const changed = await asOperator(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=sentiment-operator', '-f', '-'],
    configMap('existing', otherNs).replace('"b"', '"c"'),
  );
  t.not(changed.code, 0);
  t.regex(changed.stderr, refusal(otherNs));
  const deleted = await asOperator(['delete', 'configmap', 'existing', '-n', otherNs]);
  t.not(deleted.code, 0);
  t.regex(deleted.stderr, refusal(otherNs));
  const left = await must(
    kubectl(['get', 'configmap', 'existing', '-n', otherNs, '-o', 'jsonpath={.data.a}']),
    'read it back',
  );
  t.is(left, 'b');
});

test('the same writes in a labelled tenant namespace are allowed', async (t) => {
  const created = await asOperator(['create', '-f', '-'], configMap('new', tenantNs));
  t.is(created.code, 0, created.stderr);
  const changed = await asOperator(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=sentiment-operator', '-f', '-'],
    configMap('new', tenantNs).replace('"b"', '"c"'),
  );
  t.is(changed.code, 0, changed.stderr);
  const deleted = await asOperator(['delete', 'configmap', 'new', '-n', tenantNs]);
  t.is(deleted.code, 0, deleted.stderr);
});

// The e2e suite runs the operator under this chart: whatever it writes in a labelled namespace must pass both RBAC and
// the policy. Server-side dry-runs: authorization and admission run in full, and nothing starts in the test cluster.
test("the operator's own writes in a labelled tenant namespace pass: synth's objects, its Secrets, status, finalizer, events", async (t) => {
  await ensureCrd();
  const [example] = examplePlatforms();
  const name = example!.metadata.name;
  const platform = { ...example!, metadata: { name, namespace: tenantNs } };
  await must(
    apply(JSON.stringify({ apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, ...platform })),
    'create a SentimentPlatform as an admin',
  );
  const ssa = ['apply', '--server-side', '--field-manager=sentiment-operator', '--dry-run=server', '-f', '-'];
  const owned = [
    ...examplePlatforms().flatMap(
      (p) => synthesize({ ...p, metadata: { name: p.metadata.name, namespace: tenantNs } }).objects,
    ),
    ...['data', 'auth'].map((s) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-${s}`, namespace: tenantNs },
      stringData: { K: 'v' },
    })),
  ];
  const objects = await asOperator(ssa, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: owned }));
  t.is(objects.code, 0, objects.stderr);
  const resource = ['sentimentplatform', name, '-n', tenantNs, '--type=merge', '--dry-run=server'];
  const status = await asOperator([
    'patch',
    ...resource,
    '--subresource=status',
    '-p',
    JSON.stringify({ status: { observedGeneration: 1 } }),
  ]);
  t.is(status.code, 0, status.stderr);
  const finalizer = await asOperator([
    'patch',
    ...resource,
    '-p',
    JSON.stringify({ metadata: { finalizers: [FINALIZER] } }),
  ]);
  t.is(finalizer.code, 0, finalizer.stderr);
  const event = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: uniqueName(name), namespace: tenantNs },
    // A MicroTime: six fractional digits.
    eventTime: new Date().toISOString().replace(/Z$/, '000Z'),
    reportingController: 'sentiment-operator',
    reportingInstance: 'test',
    action: 'Reconcile',
    reason: 'Test',
    type: 'Normal',
    regarding: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, name, namespace: tenantNs },
  };
  const recorded = await asOperator(['create', '--dry-run=server', '-f', '-'], JSON.stringify(event));
  t.is(recorded.code, 0, recorded.stderr);
});

test('the admission policy leaves the leader-election Lease in the release namespace alone', async (t) => {
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'sentiment-operator', namespace: releaseNs },
    spec: { holderIdentity: 'test' },
  };
  const r = await asOperator(['create', '-f', '-'], JSON.stringify(lease));
  t.is(r.code, 0, r.stderr);
});

test("the admission policy lets the fleet rollout's ConfigMap through in the release namespace, and no other", async (t) => {
  const state = await asOperator(['create', '-f', '-'], configMap(ROLLOUT_STATE_NAME, releaseNs));
  t.is(state.code, 0, state.stderr);
  const other = await asOperator(
    ['create', '--dry-run=server', '-f', '-'],
    configMap(`${ROLLOUT_STATE_NAME}-2`, releaseNs),
  );
  t.regex(other.stderr, refusal(releaseNs));
});

test('without the admission policy (admissionPolicy.enabled=false) no policy is rendered', async (t) => {
  const off = await must(
    helm(['template', release, OPERATOR_CHART, '-n', releaseNs, '--set', 'admissionPolicy.enabled=false']),
    'helm template',
  );
  t.false(/kind: ValidatingAdmissionPolicy/.test(off));
  t.true(/kind: ValidatingAdmissionPolicy\n/.test(rendered));
});
