import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_IMAGES,
  DEFAULT_INGRESS_GROUP,
  INGRESS_GROUP_PATTERN,
  OPERATOR_ADMIN_URL_ENV,
  OPERATOR_MANAGED_ENV,
} from '@sentiment/crds';
import { MODEL_CACHE_FLAGS, modelCacheOptions, modelCacheSettings } from '@sentiment/operator';
import { CHARTS_DIR, OPERATOR_CHART, TENANT_CHART, helm, run } from './helpers.js';

interface Container {
  image: string;
  command: string[];
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: unknown[];
  securityContext: {
    allowPrivilegeEscalation: boolean;
    readOnlyRootFilesystem: boolean;
    capabilities: unknown;
  };
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
}
interface PodSpec {
  securityContext: unknown;
  containers: Container[];
}

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
} & Record<string, unknown>;

function docs(yaml: string): Obj[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

const ciValues = readdirSync(join(OPERATOR_CHART, 'ci')).filter((f) => f.endsWith('-values.yaml'));

for (const chart of [OPERATOR_CHART, TENANT_CHART]) {
  test(`helm lint --strict ${chart.split('/').pop()}`, async (t) => {
    const r = await helm(['lint', '--strict', chart]);
    t.is(r.code, 0, r.stdout + r.stderr);
  });
}

test('the chart copy of the CRD is in sync with crds/generated', async (t) => {
  const r = await run(process.execPath, [join(CHARTS_DIR, 'scripts', 'sync-crd.mjs'), '--check']);
  t.is(r.code, 0, r.stderr);
});

test('default values render the operator with leader election, probes and the restricted security context', async (t) => {
  const r = await helm(['template', 'sp', OPERATOR_CHART, '--namespace', 'sentiment-system']);
  t.is(r.code, 0, r.stderr);
  const objs = docs(r.stdout);
  const kinds = objs.map((o) => o.kind).sort();
  t.deepEqual(kinds, [
    'ClusterRole',
    'ClusterRoleBinding',
    'CustomResourceDefinition',
    'Deployment',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Role',
    'Role',
    'RoleBinding',
    'RoleBinding',
    'Service',
    'ServiceAccount',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ]);
  const crd = objs.find((o) => o.kind === 'CustomResourceDefinition')!;
  t.is(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  // Argo CD ignores Helm's keep: its own options keep the CRD through a prune or a cascading delete.
  t.deepEqual(crd.metadata.annotations?.['argocd.argoproj.io/sync-options']?.split(',').sort(), [
    'Delete=false',
    'Prune=false',
    'ServerSideApply=true',
  ]);

  const deploy = objs.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { replicas: number; template: { spec: PodSpec } };
  };
  t.is(deploy.spec.replicas, 2);
  const pod = deploy.spec.template.spec;
  t.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    fsGroup: 10001,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const c = pod.containers[0]!;
  t.is(c.image, 'ghcr.io/sentiment-analytics/operator:0.1.0');
  t.deepEqual(c.command, ['sentiment-operator', 'run']);
  t.true(c.args.includes('--lease-namespace=sentiment-system'));
  t.false(c.args.some((a) => a.startsWith('--namespaces')));
  t.false(c.args.includes('--no-leader-elect'));
  t.is(c.securityContext.allowPrivilegeEscalation, false);
  t.is(c.securityContext.readOnlyRootFilesystem, true);
  t.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
  t.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  t.is(c.livenessProbe.httpGet.path, '/healthz');
  t.is(c.readinessProbe.httpGet.path, '/readyz');
  t.deepEqual(
    c.env.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
    [
      ['POD_NAME', 'metadata.name'],
      ['POD_NAMESPACE', 'metadata.namespace'],
    ],
    'no data-service env without dataServices.existingSecret',
  );
});

for (const file of ciValues) {
  test(`helm template with ci/${file}`, async (t) => {
    const r = await helm([
      'template',
      'sp',
      OPERATOR_CHART,
      '-n',
      'sentiment-system',
      '-f',
      join(OPERATOR_CHART, 'ci', file),
    ]);
    t.is(r.code, 0, r.stderr);
    t.true(docs(r.stdout).some((o) => o.kind === 'Deployment'));
  });
}

test('namespaced mode: Roles per watched namespace, no ClusterRole, --namespaces passed', async (t) => {
  const r = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '-n',
    'sentiment-system',
    '-f',
    join(OPERATOR_CHART, 'ci', 'namespaced-values.yaml'),
  ]);
  t.is(r.code, 0, r.stderr);
  const objs = docs(r.stdout);
  t.false(objs.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'));
  const roles = objs
    .filter((o) => o.kind === 'Role')
    .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  t.deepEqual(roles.sort(), [
    'sentiment-system/sp-sentiment-operator-fleet-rollout',
    'sentiment-system/sp-sentiment-operator-leader-election',
    'tenant-acme/sp-sentiment-operator-manager',
    'tenant-globex/sp-sentiment-operator-manager',
  ]);
  const deploy = objs.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  t.true(deploy.spec.template.spec.containers[0]!.args.includes('--namespaces=tenant-acme,tenant-globex'));
});

test("no-crds values (the infra's shape): no CRD, the infra-created ServiceAccount, the managed data services by secret ARN", async (t) => {
  const r = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '-n',
    'sentiment-system',
    '-f',
    join(OPERATOR_CHART, 'ci', 'no-crds-values.yaml'),
  ]);
  t.is(r.code, 0, r.stderr);
  const objs = docs(r.stdout);
  t.false(objs.some((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'ServiceAccount'));
  const deploy = deploymentOf(objs);
  t.is(deploy.spec.template.spec.serviceAccountName, 'sentiment-operator');
  t.is(deploy.metadata.annotations['sentiment.analytics.dev/environment'], 'demo');
  const env = Object.fromEntries(deploy.spec.template.spec.containers[0]!.env.map((e) => [e.name, e]));
  const E = OPERATOR_MANAGED_ENV;
  t.deepEqual(Object.fromEntries(Object.values(E).map((name) => [name, env[name]?.value])), {
    [E.postgresHost]: 'db.example.internal',
    [E.postgresPort]: '5432',
    [E.postgresSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pg',
    [E.redisHost]: 'cache.example.internal',
    [E.redisPort]: '6379',
    [E.redisSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis',
    [E.redisUserGroupId]: 'sentiment-demo',
    [E.opensearchEndpoint]: 'https://search.example.internal',
    [E.opensearchSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:os',
  });
  t.is(env.AWS_REGION?.value, 'us-east-1');
  for (const name of Object.values(OPERATOR_ADMIN_URL_ENV)) t.is(env[name], undefined, name);
  const args = (deploy.spec.template.spec.containers[0] as unknown as { args: string[] }).args;
  t.deepEqual(
    args.filter((a) => a.startsWith('--backup-')),
    [
      '--backup-bucket=sentiment-demo-tenantbackups',
      '--backup-region=us-east-1',
      '--backup-role-prefix=sentiment-demo-',
      '--backup-role-boundary=arn:aws:iam::123456789012:policy/TenantBackupBoundary',
      '--backup-oidc-provider=arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123',
    ],
  );
});

test('backup.tenantRoles: all three values or none; one alone fails the install naming the others', async (t) => {
  const r = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'backup.tenantRoles.namePrefix=sentiment-demo-',
  ]);
  t.not(r.code, 0);
  t.regex(r.stderr, /backup\.tenantRoles\.permissionsBoundaryArn \(all three tenantRoles values, or none\)/);
  const bad = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'backup.tenantRoles.namePrefix=has space',
  ]);
  t.not(bad.code, 0, 'the values schema refuses a prefix IAM would');
  const none = await helm(['template', 'sp', OPERATOR_CHART]);
  t.is(none.code, 0, none.stderr);
  t.false(none.stdout.includes('--backup-role-'));
});

test('dataServices.existingSecret: admin URLs from the Secret, never inline; not together with platform services', async (t) => {
  const r = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'dataServices.existingSecret=sentiment-operator-data',
  ]);
  t.is(r.code, 0, r.stderr);
  const env = deploymentOf(docs(r.stdout)).spec.template.spec.containers[0]!.env;
  for (const [service, name] of Object.entries(OPERATOR_ADMIN_URL_ENV)) {
    const e = env.find((x) => x.name === name);
    const key = { postgres: 'postgres-admin-url', redis: 'redis-admin-url', opensearch: 'opensearch-url' }[
      service as keyof typeof OPERATOR_ADMIN_URL_ENV
    ];
    t.deepEqual(e?.valueFrom?.secretKeyRef, { name: 'sentiment-operator-data', key }, name);
    t.is(e?.value, undefined, `${name} is never inline`);
  }
  const both = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '-f',
    join(OPERATOR_CHART, 'ci', 'no-crds-values.yaml'),
    '--set',
    'dataServices.existingSecret=sentiment-operator-data',
  ]);
  t.not(both.code, 0);
  t.regex(
    both.stderr,
    /dataServices\.existingSecret and platform\.opensearch\/postgres\/redis both configure/,
  );
  const partial = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'platform.redis.host=cache.internal',
  ]);
  t.not(partial.code, 0);
  t.regex(partial.stderr, /platform\.redis: (port|secretArn|userGroupId) is required/);
});

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
function deploymentOf(objs: Record<string, unknown>[]) {
  return objs.find((o) => o.kind === 'Deployment') as unknown as {
    metadata: { annotations: Record<string, string> };
    spec: { template: { spec: { serviceAccountName: string; containers: { env: EnvVar[] }[] } } };
  };
}

test('a ServiceMonitor is rendered only when metrics.serviceMonitor.enabled', async (t) => {
  const off = await helm(['template', 'sp', OPERATOR_CHART]);
  t.is(off.code, 0, off.stderr);
  t.false(docs(off.stdout).some((o) => o.kind === 'ServiceMonitor'));
  const on = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '-f',
    join(OPERATOR_CHART, 'ci', 'servicemonitor-values.yaml'),
  ]);
  t.is(on.code, 0, on.stderr);
  const sm = docs(on.stdout).filter((o) => o.kind === 'ServiceMonitor');
  t.is(sm.length, 1);
  t.like(sm[0], { spec: { endpoints: [{ port: 'http', path: '/metrics' }] } });
});

test('the Grafana dashboard: a ConfigMap for the sidecar only when grafanaDashboard.enabled, the JSON verbatim; tenant panels follow the variables', async (t) => {
  const off = await helm(['template', 'sp', OPERATOR_CHART]);
  t.false(docs(off.stdout).some((o) => o.metadata.name.endsWith('-grafana-dashboard')));
  const on = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'grafanaDashboard.enabled=true']);
  t.is(on.code, 0, on.stderr);
  const cm = docs(on.stdout).find((o) => o.metadata.name === 'sp-sentiment-operator-grafana-dashboard') as
    (Obj & { metadata: { labels: Record<string, string> }; data: Record<string, string> }) | undefined;
  t.is(cm?.metadata.labels.grafana_dashboard, '1');
  const file = readFileSync(join(OPERATOR_CHART, 'dashboards', 'sentiment-platform.json'), 'utf8');
  t.is(cm?.data['sentiment-platform.json'], file.trimEnd());

  // Which metrics the queries read is checked against real scrapes in the e2e; here, the shape.
  const dashboard = JSON.parse(file) as {
    uid: string;
    templating: { list: { name: string }[] };
    panels: { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] }[];
  };
  t.deepEqual(
    dashboard.templating.list.map((v) => v.name),
    ['datasource', 'namespace', 'platform'],
  );
  const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
  t.deepEqual(rows, ['Fleet', 'Tenant $namespace/$platform']);
  const tenantRow = dashboard.panels.findIndex((p) => p.title.startsWith('Tenant'));
  for (const [i, p] of dashboard.panels.entries()) {
    if (p.type === 'row') continue;
    t.true((p.targets ?? []).length > 0, p.title);
    for (const q of p.targets ?? []) {
      t.is(q.datasource.uid, '${datasource}', p.title);
      if (i > tenantRow)
        t.regex(q.expr, /namespace="\$namespace",service="\$platform-(api|worker|ml)"/, p.title);
    }
  }
});

/** The operator container's arguments in a rendered chart. */
const args = (yaml: string) =>
  docs(yaml)
    .filter((o) => o.kind === 'Deployment')
    .flatMap(
      (o) =>
        (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec.containers[0]!.args,
    );

test('dashboardOrigin is passed as --dashboard-origin; only an origin is accepted', async (t) => {
  const none = await helm(['template', 'sp', OPERATOR_CHART]);
  t.is(none.code, 0, none.stderr);
  t.false(args(none.stdout).some((a) => a.startsWith('--dashboard-origin')));
  const set = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'dashboardOrigin=https://d123.cloudfront.net',
  ]);
  t.is(set.code, 0, set.stderr);
  t.true(args(set.stdout).includes('--dashboard-origin=https://d123.cloudfront.net'));
  for (const bad of ['https://d123.cloudfront.net/', 'd123.cloudfront.net', 'https://a.example/app']) {
    const r = await helm(['template', 'sp', OPERATOR_CHART, '--set', `dashboardOrigin=${bad}`]);
    t.not(r.code, 0, bad);
    t.regex(r.stderr, /dashboardOrigin/, bad);
  }
});

test('ingressGroup: the operator default, passed as --ingress-group; the schema takes what the operator takes', async (t) => {
  const schema = JSON.parse(readFileSync(join(OPERATOR_CHART, 'values.schema.json'), 'utf8')) as {
    properties: { ingressGroup: { pattern: string } };
  };
  t.is(schema.properties.ingressGroup.pattern, INGRESS_GROUP_PATTERN);
  const none = await helm(['template', 'sp', OPERATOR_CHART]);
  t.is(none.code, 0, none.stderr);
  t.true(args(none.stdout).includes(`--ingress-group=${DEFAULT_INGRESS_GROUP}`));
  const set = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'ingressGroup=tenants.eu']);
  t.true(args(set.stdout).includes('--ingress-group=tenants.eu'));
  for (const bad of ['Tenants', '-x', 'a_b', '']) {
    const r = await helm(['template', 'sp', OPERATOR_CHART, '--set', `ingressGroup=${bad}`]);
    t.not(r.code, 0, bad);
    t.regex(r.stderr, /ingressGroup/, bad);
  }
});

test('values.schema.json rejects bad values with a message naming the field', async (t) => {
  const typo = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'replicas=3']);
  t.not(typo.code, 0);
  t.regex(typo.stderr, /values don't meet the specifications of the schema/);
  t.regex(typo.stderr, /replicas/);

  const ns = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'watchNamespaces[0]=Not_A_Namespace']);
  t.not(ns.code, 0);
  t.regex(ns.stderr, /watchNamespaces\.0/);

  const sa = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'serviceAccount.create=false']);
  t.not(sa.code, 0);
  t.regex(sa.stderr, /serviceAccount/);
});

test('two replicas without leader election are refused', async (t) => {
  const r = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'leaderElection.enabled=false']);
  t.not(r.code, 0);
  t.regex(r.stderr, /replicaCount > 1 needs leaderElection.enabled/);
  const single = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'leaderElection.enabled=false',
    '--set',
    'replicaCount=1',
  ]);
  t.is(single.code, 0, single.stderr);
  t.regex(single.stdout, /--no-leader-elect/);
});

test('tenantImages: one value per image the operator knows (DEFAULT_IMAGES), each passed as --default-image', async (t) => {
  const schema = JSON.parse(readFileSync(join(OPERATOR_CHART, 'values.schema.json'), 'utf8')) as {
    properties: { tenantImages: { properties: Record<string, unknown> } };
  };
  t.deepEqual(
    Object.keys(schema.properties.tenantImages.properties).sort(),
    Object.keys(DEFAULT_IMAGES).sort(),
  );
  const sets = Object.keys(DEFAULT_IMAGES).flatMap((name) => [
    '--set',
    `tenantImages.${name}=mirror.example/${name}:1`,
  ]);
  const r = await helm(['template', 'sp', OPERATOR_CHART, ...sets]);
  t.is(r.code, 0, r.stderr);
  const deploy = docs(r.stdout).find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const args = deploy.spec.template.spec.containers[0]!.args.filter((a) => a.startsWith('--default-image='));
  t.deepEqual(
    args.sort(),
    Object.keys(DEFAULT_IMAGES)
      .map((n) => `--default-image=${n}=mirror.example/${n}:1`)
      .sort(),
  );
  const none = await helm(['template', 'sp', OPERATOR_CHART]);
  t.false(none.stdout.includes('--default-image'), 'empty values pass nothing');
});

test('modelCache: passed as --model-cache-*, which the operator reads back to the same options; nothing without a bucket', async (t) => {
  const r = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '-f',
    join(OPERATOR_CHART, 'ci', 'no-crds-values.yaml'),
  ]);
  t.is(r.code, 0, r.stderr);
  const given = args(r.stdout).filter((a) => a.startsWith('--model-cache-'));
  t.deepEqual(given, [
    '--model-cache-bucket=sentiment-demo-modelcache',
    '--model-cache-region=us-east-1',
    '--model-cache-reader-role=arn:aws:iam::123456789012:role/sentiment-demo-model-cache-reader',
    '--model-cache-seeder-role=arn:aws:iam::123456789012:role/sentiment-demo-model-cache-seeder',
  ]);
  const { values } = parseArgs({ args: given, options: MODEL_CACHE_FLAGS, strict: true });
  t.deepEqual(modelCacheOptions(modelCacheSettings(values, () => undefined)), {
    bucket: 'sentiment-demo-modelcache',
    region: 'us-east-1',
    readerRoleArn: 'arn:aws:iam::123456789012:role/sentiment-demo-model-cache-reader',
    seederRoleArn: 'arn:aws:iam::123456789012:role/sentiment-demo-model-cache-seeder',
  });
  const none = await helm(['template', 'sp', OPERATOR_CHART]);
  t.false(args(none.stdout).some((a) => a.startsWith('--model-cache-')));
  const orphan = await helm([
    'template',
    'sp',
    OPERATOR_CHART,
    '--set',
    'modelCache.readerRoleArn=arn:aws:iam::123456789012:role/reader',
  ]);
  t.not(orphan.code, 0);
  t.regex(orphan.stderr, /modelCache: region, endpointUrl, hubEndpoint and the roles need modelCache.bucket/);
  const bad = await helm(['template', 'sp', OPERATOR_CHART, '--set', 'modelCache.seederRoleArn=seeder']);
  t.not(bad.code, 0, 'the values schema refuses what is not a role ARN');
});
