// The operator chart in namespaced mode (watchNamespaces) on the real test API server: the ServiceAccount
// manages the listed namespaces only and holds no cluster-wide grant.
import test from 'ava';
import {
  CLUSTER_SCOPED_KINDS,
  OPERATOR_CHART,
  apply,
  canI,
  helm,
  kubectl,
  must,
  removeRelease,
  uniqueName,
} from './helpers.js';

const release = uniqueName('spn');
const releaseNs = uniqueName('charts-sys');
const watched = [uniqueName('charts-a'), uniqueName('charts-b')];
const outside = uniqueName('charts-other');
const sa = `${releaseNs}:${release}-sentiment-operator`;

test.before(async () => {
  for (const ns of [releaseNs, ...watched, outside])
    await must(kubectl(['create', 'namespace', ns]), `create namespace ${ns}`);
  const rendered = await must(
    helm([
      'template',
      release,
      OPERATOR_CHART,
      '-n',
      releaseNs,
      '--set',
      'crds.install=false',
      '--set',
      `watchNamespaces={${watched.join(',')}}`,
    ]),
    'helm template',
  );
  await must(apply(rendered), 'apply the rendered chart');
});

test.after.always(() => removeRelease(release, [releaseNs, ...watched, outside]));

test('no cluster-scoped objects are created: no ClusterRole, no admission policy', async (t) => {
  const r = await kubectl([
    'get',
    CLUSTER_SCOPED_KINDS,
    '-l',
    `app.kubernetes.io/instance=${release}`,
    '-o',
    'name',
  ]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), '');
});

for (const [i, verb, resource] of [
  [0, 'patch', 'deployments.apps'],
  [1, 'patch', 'deployments.apps'],
  [0, 'watch', 'sentimentplatforms.sentiment.analytics.dev'],
  [1, 'update', 'sentimentplatforms.sentiment.analytics.dev#status'],
  [1, 'create', 'events.events.k8s.io'],
] as const) {
  test(`can ${verb} ${resource} in watched namespace ${i}`, async (t) => {
    t.true(await canI(sa, verb, resource, watched[i]));
  });
}

for (const [verb, resource] of [
  ['create', 'statefulsets.apps'],
  ['create', 'persistentvolumeclaims'],
] as const) {
  test(`cannot ${verb} ${resource} (synth never emits them) even in a watched namespace`, async (t) => {
    t.false(await canI(sa, verb, resource, watched[0]));
  });
}

for (const [verb, resource] of [
  ['patch', 'deployments.apps'],
  ['get', 'secrets'],
  ['list', 'sentimentplatforms.sentiment.analytics.dev'],
] as const) {
  test(`cannot ${verb} ${resource} in a namespace outside watchNamespaces`, async (t) => {
    t.false(await canI(sa, verb, resource, outside));
  });
  test(`cannot ${verb} ${resource} across all namespaces`, async (t) => {
    t.false(await canI(sa, verb, resource));
  });
}

test('cannot create clusterrolebindings', async (t) => {
  t.false(await canI(sa, 'create', 'clusterrolebindings.rbac.authorization.k8s.io'));
});

test('still holds its leader-election Lease in the release namespace', async (t) => {
  t.true(await canI(sa, 'get', 'leases.coordination.k8s.io/sentiment-operator', releaseNs));
});
