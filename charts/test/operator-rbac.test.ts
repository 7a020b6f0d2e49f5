// Installs the rendered operator chart (whole-cluster mode) into the real test API server and asks its authorizer
// what the operator's ServiceAccount may do: exactly what the operator uses, nothing more.
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { OPERATOR_CHART, apply, canI, helm, kubectl, must, removeRelease, uniqueName } from './helpers.js';

const release = uniqueName('spo');
const releaseNs = uniqueName('charts-sys');
const tenantNs = uniqueName('charts-tenant');
const sa = `${releaseNs}:${release}-sentiment-operator`;
let rendered = '';

test.before(async () => {
  await must(kubectl(['create', 'namespace', releaseNs]), 'create release namespace');
  await must(kubectl(['create', 'namespace', tenantNs]), 'create tenant namespace');
  // The CRD is shared with other suites and checked in sync separately: this suite leaves it alone.
  rendered = await must(
    helm(['template', release, OPERATOR_CHART, '-n', releaseNs, '--set', 'crds.install=false']),
    'helm template',
  );
  await must(apply(rendered), 'apply the rendered chart');
});

test.after.always(() => removeRelease(release, [releaseNs, tenantNs]));

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
    `role.rbac.authorization.k8s.io/${release}-sentiment-operator-leader-election`,
    `rolebinding.rbac.authorization.k8s.io/${release}-sentiment-operator-leader-election`,
    `service/${release}-sentiment-operator-metrics`,
    `serviceaccount/${release}-sentiment-operator`,
  ]);
  const cluster = await kubectl([
    'get',
    'clusterrole,clusterrolebinding',
    '-l',
    `app.kubernetes.io/instance=${release}`,
    '-o',
    'name',
  ]);
  t.deepEqual(cluster.stdout.trim().split('\n').sort(), [
    `clusterrole.rbac.authorization.k8s.io/${release}-sentiment-operator-manager`,
    `clusterrolebinding.rbac.authorization.k8s.io/${release}-sentiment-operator-manager`,
  ]);
});

test('the granted rules are exactly the operator needs', (t) => {
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  const grants = new Set<string>();
  for (const doc of parseAllDocuments(rendered)) {
    const o = doc.toJS() as { kind?: string; rules?: Rule[] } | null;
    if (o?.kind !== 'ClusterRole' && o?.kind !== 'Role') continue;
    for (const r of o.rules ?? [])
      for (const g of r.apiGroups)
        for (const res of r.resources)
          for (const v of r.verbs)
            grants.add(
              `${o.kind} ${g || 'core'}/${res} ${v}${r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''}`,
            );
  }
  const owned = (group: string, resources: string[]) =>
    resources.flatMap((r) =>
      ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'].map(
        (v) => `ClusterRole ${group}/${r} ${v}`,
      ),
    );
  const expected = [
    ...['get', 'list', 'watch', 'patch', 'update'].map(
      (v) => `ClusterRole sentiment.analytics.dev/sentimentplatforms ${v}`,
    ),
    ...['get', 'patch', 'update'].map(
      (v) => `ClusterRole sentiment.analytics.dev/sentimentplatforms/status ${v}`,
    ),
    'ClusterRole sentiment.analytics.dev/sentimentplatforms/finalizers update',
    ...owned('core', [
      'serviceaccounts',
      'configmaps',
      'secrets',
      'services',
      'persistentvolumeclaims',
      'resourcequotas',
      'limitranges',
    ]),
    ...owned('apps', ['deployments', 'statefulsets']),
    ...owned('autoscaling', ['horizontalpodautoscalers']),
    ...owned('policy', ['poddisruptionbudgets']),
    ...owned('networking.k8s.io', ['ingresses', 'networkpolicies']),
    'ClusterRole events.k8s.io/events create',
    'ClusterRole events.k8s.io/events patch',
    'Role coordination.k8s.io/leases get [sentiment-operator]',
    'Role coordination.k8s.io/leases update [sentiment-operator]',
    'Role coordination.k8s.io/leases create',
  ];
  t.deepEqual([...grants].sort(), expected.sort());
});

const allowed: [verb: string, resource: string, where: 'tenant' | 'release'][] = [
  ['patch', 'deployments.apps', 'tenant'],
  ['create', 'statefulsets.apps', 'tenant'],
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
];
for (const [verb, resource, where] of allowed) {
  test(`the operator can ${verb} ${resource} in the ${where} namespace`, async (t) => {
    t.true(await canI(sa, verb, resource, where === 'tenant' ? tenantNs : releaseNs));
  });
}

const denied: [verb: string, resource: string, namespace?: 'tenant' | 'release'][] = [
  ['list', 'pods', 'tenant'],
  ['create', 'pods/exec', 'tenant'],
  ['delete', 'nodes'],
  ['create', 'namespaces'],
  ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
  ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ['bind', 'roles.rbac.authorization.k8s.io', 'tenant'],
  ['create', 'roles.rbac.authorization.k8s.io', 'tenant'],
  ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
  // The operator never creates or deletes a tenant's SentimentPlatform: people and Argo CD do.
  ['create', 'sentimentplatforms.sentiment.analytics.dev', 'tenant'],
  ['delete', 'sentimentplatforms.sentiment.analytics.dev', 'tenant'],
  ['delete', 'events.events.k8s.io', 'tenant'],
  ['create', 'events', 'tenant'],
  ['delete', 'sentimentplatforms.sentiment.analytics.dev#status', 'tenant'],
  ['patch', 'sentimentplatforms.sentiment.analytics.dev#finalizers', 'tenant'],
  ['create', 'serviceaccounts#token', 'tenant'],
  ['create', 'leases.coordination.k8s.io', 'tenant'],
  ['update', 'leases.coordination.k8s.io/another-lease', 'release'],
  ['list', 'leases.coordination.k8s.io', 'release'],
];
for (const [verb, resource, where] of denied) {
  test(`the operator cannot ${verb} ${resource}${where ? ` in the ${where} namespace` : ' cluster-wide'}`, async (t) => {
    t.false(
      await canI(
        sa,
        verb,
        resource,
        where === undefined ? undefined : where === 'tenant' ? tenantNs : releaseNs,
      ),
    );
  });
}
