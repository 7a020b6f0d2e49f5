// Semantic assertions on what synth renders: per component, per profile, and the cross-cutting
// contracts (stable names, labels, restricted pods, placement, determinism).
import test from 'ava';
import {
  API_GROUP,
  DATA_CA,
  DEFAULT_IMAGES,
  DEFAULT_INGRESS_GROUP,
  AUTH_SECRET_KEYS,
  authSecretName,
  dataSecretName,
  EKS_CAPACITY_TYPE_LABEL,
  GPU_RESOURCE,
  InvalidSpecError,
  IRSA_ROLE_ANNOTATION,
  LABELS,
  MANAGED_BY,
  NODE_POOLS,
  PART_OF,
  POSTGRES_BUDGET,
  PROFILES,
  resolveSpec,
  TENANT_NAMING_ANNOTATION,
  tenantIdentity,
} from '@sentiment/crds';
import { synthesize, toYaml } from '../../src/synth/index.js';
import { CONFIG_DIGEST_ANNOTATION } from '../../src/synth/pod.js';
import { canonicalQuantity } from '../../src/synth/quantity.js';
import {
  container,
  deployments,
  envOf,
  find,
  has,
  render,
  requiredNodeLabels,
  type Json,
} from './helpers.js';

/** The value following `flag` in a container's args. */
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

const SELF_HOSTED = {
  llm: { provider: 'self-hosted', selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct' } },
};

test('demo: the expected objects, by stable name', (t) => {
  const names = render({ ingress: { host: 'acme.example.com' } }).map((o) => `${o.kind}/${o.metadata.name}`);
  t.deepEqual(names, [
    'ServiceAccount/acme',
    'ConfigMap/acme-config',
    'Deployment/acme-api',
    'Service/acme-api',
    'HorizontalPodAutoscaler/acme-api',
    'PodDisruptionBudget/acme-api',
    'Ingress/acme-api',
    'Deployment/acme-worker',
    'Deployment/acme-ml',
    'Service/acme-ml',
    'HorizontalPodAutoscaler/acme-ml',
    'PodDisruptionBudget/acme-ml',
    'NetworkPolicy/acme-default-deny',
    'NetworkPolicy/acme-allow-dns',
    'NetworkPolicy/acme-api',
    'NetworkPolicy/acme-worker',
    'NetworkPolicy/acme-ml',
    'ResourceQuota/acme-quota',
    'LimitRange/acme-limits',
  ]);
});

test('no cdk8s hashes: no hashed names, no address labels or selectors', (t) => {
  for (const spec of [{}, SELF_HOSTED, { profile: 'production' }]) {
    const yaml = toYaml(render(spec));
    t.notRegex(yaml, /cdk8s\.io/);
    t.notRegex(yaml, /name: \S+-[0-9a-f]{8}$/m);
  }
});

test('contract labels on every object and every pod template; selectors match the pods', (t) => {
  const objects = render(SELF_HOSTED);
  for (const o of objects) {
    const l = o.metadata.labels ?? {};
    t.is(o.metadata.namespace, 'tenant-acme');
    t.is(l[LABELS.instance], 'acme', `${o.kind}/${o.metadata.name}`);
    t.is(l[LABELS.platform], 'acme');
    t.is(l[LABELS.partOf], PART_OF);
    t.is(l[LABELS.managedBy], MANAGED_BY);
    t.truthy(l[LABELS.name]);
    t.truthy(l[LABELS.component]);
  }
  for (const d of deployments(objects)) {
    const podLabels = d.spec.template.metadata.labels;
    t.like(podLabels, { ...d.metadata.labels });
    t.like(podLabels, d.spec.selector.matchLabels);
    const component = d.metadata.labels[LABELS.component];
    const service = objects.find(
      (o) => o.kind === 'Service' && o.metadata.labels?.[LABELS.component] === component,
    ) as Json | undefined;
    if (service) t.like(podLabels, service.spec.selector);
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget') as Json[]) {
    t.like(
      find(objects, 'Deployment', pdb.metadata.name).spec.template.metadata.labels,
      pdb.spec.selector.matchLabels,
    );
  }
});

test('deterministic: the same input gives byte-identical YAML, whatever the key order', (t) => {
  const a = { profile: 'production', api: { replicas: 4, capacity: 'spot' }, ...SELF_HOSTED };
  const b = { ...SELF_HOSTED, api: { capacity: 'spot', replicas: 4 }, profile: 'production' };
  t.is(toYaml(render(a)), toYaml(render(b)));
  t.is(toYaml(render(a)), toYaml(render(a)));
});

test('every pod template meets the restricted Pod Security Standard', (t) => {
  for (const spec of [{}, SELF_HOSTED, { profile: 'ultra-low-cost' }]) {
    for (const d of deployments(render(spec))) {
      const pod = d.spec.template.spec;
      t.true(pod.securityContext.runAsNonRoot);
      t.falsy(pod.hostNetwork);
      t.false(pod.automountServiceAccountToken);
      for (const v of pod.volumes ?? [])
        t.truthy(v.emptyDir, `${d.metadata.name}: only emptyDir volumes (no hostPath, no EBS)`);
      for (const c of pod.containers as Json[]) {
        const sc = c.securityContext;
        t.false(sc.allowPrivilegeEscalation, c.name);
        t.false(sc.privileged);
        t.deepEqual(sc.capabilities, { drop: ['ALL'] });
        t.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' });
        t.true(sc.runAsNonRoot);
        t.true(sc.runAsUser > 0);
      }
    }
  }
});

test('placement: Fargate by pod label, spot and on-demand by node capacity type in the general pool', (t) => {
  const demo = find(render({ profile: 'demo' }), 'Deployment', 'acme-api');
  t.is(demo.spec.template.metadata.labels[LABELS.capacity], 'fargate');
  t.is(demo.spec.template.spec.affinity, undefined);
  const cheap = find(render({ profile: 'ultra-low-cost' }), 'Deployment', 'acme-worker');
  t.is(cheap.spec.template.metadata.labels[LABELS.capacity], undefined);
  // The general pool: tenants never land on the system group, the controllers' on-demand nodes.
  t.deepEqual(requiredNodeLabels(cheap), {
    [EKS_CAPACITY_TYPE_LABEL]: ['SPOT'],
    [LABELS.nodePool]: [NODE_POOLS.general],
  });
  const prod = find(render({ profile: 'production' }), 'Deployment', 'acme-ml');
  t.deepEqual(requiredNodeLabels(prod), {
    [EKS_CAPACITY_TYPE_LABEL]: ['ON_DEMAND'],
    [LABELS.nodePool]: [NODE_POOLS.general],
  });
  t.like(prod.spec.template.spec.topologySpreadConstraints[0], {
    topologyKey: 'topology.kubernetes.io/zone',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: prod.spec.selector.matchLabels },
  });
  t.is(demo.spec.template.spec.topologySpreadConstraints, undefined, 'Fargate places pods itself');
});

for (const profile of PROFILES) {
  test(`profile ${profile}: replicas, autoscaling, resources and capacity as resolved`, (t) => {
    const r = resolveSpec({ profile });
    const objects = render({ profile });
    for (const c of ['api', 'ml'] as const) {
      const d = find(objects, 'Deployment', `acme-${c}`);
      t.like(container(d).resources.requests, { cpu: canonicalQuantity(r[c].resources.requests.cpu) });
      if (r[c].autoscaling.enabled) {
        const hpa = find(objects, 'HorizontalPodAutoscaler', `acme-${c}`);
        t.is(hpa.spec.minReplicas, r[c].autoscaling.min);
        t.is(hpa.spec.maxReplicas, r[c].autoscaling.max);
        t.is(hpa.spec.metrics[0].resource.target.averageUtilization, r[c].autoscaling.targetCPU);
        t.deepEqual(hpa.spec.scaleTargetRef, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: `acme-${c}`,
        });
        t.is(d.spec.replicas, undefined, 'the HPA owns the count: reapplying must not reset it');
      } else {
        t.false(has(objects, 'HorizontalPodAutoscaler', `acme-${c}`));
        t.is(d.spec.replicas, r[c].replicas);
      }
      t.is(find(objects, 'PodDisruptionBudget', `acme-${c}`).spec.maxUnavailable, 1);
    }
    // The worker's autoscaler (worker-scaling.test.ts) owns its count the same way.
    t.is(
      find(objects, 'Deployment', 'acme-worker').spec.replicas,
      r.worker.autoscaling.enabled ? undefined : r.worker.replicas,
    );
  });
}

test('api: probes on the contract health endpoints, Service 80 → 8080', (t) => {
  const objects = render({});
  const c = container(find(objects, 'Deployment', 'acme-api'));
  t.is(c.readinessProbe.httpGet.path, '/readyz');
  t.is(c.livenessProbe.httpGet.path, '/healthz');
  t.is(c.startupProbe.httpGet.path, '/healthz');
  t.deepEqual(c.ports, [{ containerPort: 8080, name: 'http' }]);
  t.like(find(objects, 'Service', 'acme-api').spec, {
    type: 'ClusterIP',
    ports: [{ port: 80, targetPort: 8080 }],
  });
  t.true(c.securityContext.readOnlyRootFilesystem);
  t.true(
    c.volumeMounts.some((m: Json) => m.mountPath === '/tmp'),
    'a writable /tmp on a read-only root',
  );
});

test('ingress: HTTPS on the shared ALB by default, target-type ip (Fargate), internal paths not routed', (t) => {
  const ing = find(render({ ingress: { host: 'acme.example.com' } }), 'Ingress', 'acme-api');
  t.is(ing.spec.ingressClassName, 'alb');
  t.like(ing.metadata.annotations, {
    'alb.ingress.kubernetes.io/scheme': 'internet-facing',
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/group.name': DEFAULT_INGRESS_GROUP,
    'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
    'alb.ingress.kubernetes.io/ssl-redirect': '443',
    'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  });
  // No ARN: the load balancer controller discovers the ACM certificate by the TLS hosts.
  t.false('alb.ingress.kubernetes.io/certificate-arn' in ing.metadata.annotations);
  t.deepEqual(ing.spec.tls, [{ hosts: ['acme.example.com'] }]);
  t.is(ing.spec.rules[0].host, 'acme.example.com');
  // The probes' and the scraper's paths are answered 404 by the ALB itself, before the API's prefix rule.
  t.deepEqual(
    ing.spec.rules[0].http.paths.map((p: Json) => [p.path, p.pathType, p.backend.service]),
    [
      ['/healthz', 'Exact', { name: 'not-routed', port: { name: 'use-annotation' } }],
      ['/readyz', 'Exact', { name: 'not-routed', port: { name: 'use-annotation' } }],
      ['/metrics', 'Exact', { name: 'not-routed', port: { name: 'use-annotation' } }],
      ['/', 'Prefix', { name: 'acme-api', port: { number: 80 } }],
    ],
  );
  t.like(JSON.parse(ing.metadata.annotations['alb.ingress.kubernetes.io/actions.not-routed']), {
    type: 'fixed-response',
    fixedResponseConfig: { statusCode: '404' },
  });
});

test('ingress: a pinned certificate, and the installation names the shared group', (t) => {
  const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
  const platform = {
    metadata: { name: 'acme', namespace: 'tenant-acme' },
    spec: { ingress: { host: 'acme.example.com', tls: { certificateArn: arn } } },
  };
  const ing = find(synthesize(platform, { ingressGroup: 'tenants.eu' }).objects, 'Ingress', 'acme-api');
  t.like(ing.metadata.annotations, {
    'alb.ingress.kubernetes.io/certificate-arn': arn,
    'alb.ingress.kubernetes.io/group.name': 'tenants.eu',
  });
});

test('ingress: plain HTTP only by opt-out, on an ALB of its own; no host and HTTPS: no Ingress', (t) => {
  for (const ingress of [
    { tls: { enabled: false } },
    { host: 'acme.example.com', tls: { enabled: false } },
  ]) {
    const ing = find(render({ ingress }), 'Ingress', 'acme-api');
    const annotations = ing.metadata.annotations;
    // The shared group redirects every host to HTTPS (ssl-redirect is group-wide): HTTP stays out of it.
    t.false('alb.ingress.kubernetes.io/group.name' in annotations);
    t.false('alb.ingress.kubernetes.io/ssl-redirect' in annotations);
    t.is(annotations['alb.ingress.kubernetes.io/listen-ports'], '[{"HTTP":80}]');
    t.is(ing.spec.tls, undefined);
    t.is(ing.spec.rules[0].host, ingress.host);
    t.is(ing.spec.rules[0].http.paths.length, 4, 'internal paths are not routed over HTTP either');
  }
  t.false(has(render({}), 'Ingress', 'acme-api'), 'HTTPS without a host has nothing to serve on');
  t.false(has(render({ ingress: { enabled: false } }), 'Ingress', 'acme-api'));
  const nginx = find(
    render({ ingress: { className: 'nginx', host: 'acme.example.com' } }),
    'Ingress',
    'acme-api',
  );
  t.is(nginx.metadata.annotations, undefined, 'ALB annotations only for the alb class');
  t.deepEqual(
    nginx.spec.tls,
    [{ hosts: ['acme.example.com'] }],
    "other classes: HTTPS with the class's certificate",
  );
  t.deepEqual(
    nginx.spec.rules[0].http.paths.map((p: Json) => p.path),
    ['/'],
    'other controllers get the plain rule',
  );
});

test('worker: the API image in worker mode, its metrics port only, no Service (without monitoring), no probes', (t) => {
  const objects = render({});
  const c = container(find(objects, 'Deployment', 'acme-worker'));
  t.deepEqual(c.args, ['worker']);
  t.is(c.image, resolveSpec({}).worker.image);
  t.deepEqual(c.ports, [{ containerPort: 8080, name: 'http' }]);
  t.is(c.readinessProbe, undefined);
  t.false(has(objects, 'Service', 'acme-worker'));
});

test('service account: IRSA annotation for Bedrock, no token automount', (t) => {
  const arn = 'arn:aws:iam::123456789012:role/bedrock';
  const sa = find(render({ serviceAccount: { iamRoleArn: arn } }), 'ServiceAccount', 'acme');
  t.is(sa.metadata.annotations[IRSA_ROLE_ANNOTATION], arn);
  t.false(sa.automountServiceAccountToken);
  t.is(find(render({}), 'ServiceAccount', 'acme').metadata.annotations, undefined);
  for (const d of deployments(render({}))) t.is(d.spec.template.spec.serviceAccountName, 'acme');
});

test("config: the platform's namespace and uid (tokens are bound to them) and the proxies in front of the API", (t) => {
  const uid = '6f1c1d2e-0000-4000-8000-000000000001';
  const platform = (ingress: object) => ({
    metadata: { name: 'acme', namespace: 'tenant-acme', uid },
    spec: { ingress },
  });
  const data = (ingress: object) =>
    find(synthesize(platform(ingress)).objects, 'ConfigMap', 'acme-config').data;
  t.like(data({ host: 'acme.example.com' }), {
    SENTIMENT_PLATFORM: 'acme',
    SENTIMENT_NAMESPACE: 'tenant-acme',
    SENTIMENT_PLATFORM_UID: uid,
    // The ALB appends the client's address to X-Forwarded-For: one hop.
    TRUSTED_PROXY_HOPS: '1',
  });
  t.is(data({ className: 'nginx', host: 'acme.example.com' }).TRUSTED_PROXY_HOPS, '1');
  t.is(data({ enabled: false }).TRUSTED_PROXY_HOPS, '0', "no Ingress: the header is the client's own");
  // `render` of a manifest without a uid cannot know it, and renders none (the API then refuses to start).
  t.false('SENTIMENT_PLATFORM_UID' in find(render({}), 'ConfigMap', 'acme-config').data);
});

test("config: the tenant's prefixes are opaque, unless the status records slices of the named scheme or the annotation asks for it", (t) => {
  const prefixes = (metadata: object, status?: object) => {
    const data = find(
      synthesize({
        metadata: { name: 'acme', namespace: 'tenant-acme', ...metadata },
        spec: {},
        ...(status && { status }),
      }).objects,
      'ConfigMap',
      'acme-config',
    ).data;
    return [data.REDIS_KEY_PREFIX, data.OPENSEARCH_INDEX_PREFIX];
  };
  const of = (naming: 'opaque' | 'named') => {
    const id = tenantIdentity('tenant-acme', 'acme', naming);
    return [id.redisKeyPrefix, id.opensearchIndexPrefix];
  };
  const named = tenantIdentity('tenant-acme', 'acme', 'named');
  t.deepEqual(prefixes({}), of('opaque'));
  t.false(prefixes({}).join(' ').includes('acme'), 'nothing of namespace or name');
  // Provisioned by an earlier operator: the status holds the named slices, and they stay.
  t.deepEqual(prefixes({}, { tenancy: { database: named.id } }), of('named'));
  t.deepEqual(prefixes({}, { tenancy: { opensearchIndexPrefix: named.opensearchIndexPrefix } }), of('named'));
  // Re-created to take over slices retained under the named scheme.
  const asked = { annotations: { [TENANT_NAMING_ANNOTATION]: 'named' } };
  t.deepEqual(prefixes(asked), of('named'));
  // Once the status records opaque slices, the annotation cannot rename them.
  const opaque = tenantIdentity('tenant-acme', 'acme');
  t.deepEqual(prefixes(asked, { tenancy: { database: opaque.id, redisUser: opaque.id } }), of('opaque'));
  const err = t.throws(() => prefixes({ annotations: { [TENANT_NAMING_ANNOTATION]: 'readable' } }), {
    instanceOf: InvalidSpecError,
  });
  t.regex(err!.message, /tenant-naming is "readable": it takes "opaque" or "named"/);
});

test('config: LLM settings in the ConfigMap; a config change rolls the pods', (t) => {
  const bedrock = render({
    llm: {
      provider: 'bedrock',
      bedrock: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'eu-west-1' },
    },
  });
  t.like(find(bedrock, 'ConfigMap', 'acme-config').data, {
    LLM_PROVIDER: 'bedrock',
    BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
    AWS_REGION: 'eu-west-1',
    ML_URL: 'http://acme-ml:80',
    // The pool each pod keeps is the unit of the tenant's Postgres connection limit.
    DB_POOL_SIZE: String(POSTGRES_BUDGET.poolSize),
    OPENSEARCH_INDEX_PREFIX: tenantIdentity('tenant-acme', 'acme').opensearchIndexPrefix,
    REDIS_KEY_PREFIX: tenantIdentity('tenant-acme', 'acme').redisKeyPrefix,
  });
  const selfHosted = render(SELF_HOSTED);
  t.like(find(selfHosted, 'ConfigMap', 'acme-config').data, {
    LLM_PROVIDER: 'self-hosted',
    LLM_BASE_URL: 'http://acme-llm:80/v1',
    LLM_MODEL: 'meta-llama/Llama-3.1-8B-Instruct',
  });
  const digest = (objects: Json[]) =>
    find(objects as never, 'Deployment', 'acme-api').spec.template.metadata.annotations[
      CONFIG_DIGEST_ANNOTATION
    ];
  t.not(digest(bedrock), digest(selfHosted));
  t.is(
    digest(bedrock),
    digest(
      render({
        llm: {
          provider: 'bedrock',
          bedrock: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'eu-west-1' },
        },
      }),
    ),
  );
});

test("config: the operator's dashboard origins become CORS_ORIGINS; absent when it has none", (t) => {
  const platform = { metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: {} };
  const origins = ['https://d123.cloudfront.net', 'https://dashboard.example.com'];
  const withOrigins = synthesize(platform, { dashboardOrigins: origins }).objects;
  t.is(
    find(withOrigins, 'ConfigMap', 'acme-config').data.CORS_ORIGINS,
    'https://d123.cloudfront.net,https://dashboard.example.com',
  );
  for (const options of [undefined, {}, { dashboardOrigins: [] }]) {
    const data = find(synthesize(platform, options).objects, 'ConfigMap', 'acme-config').data;
    t.false('CORS_ORIGINS' in data);
  }
  // The API reads it from the ConfigMap like every other setting, and a new origin rolls its pods.
  const api = find(withOrigins, 'Deployment', 'acme-api');
  t.true(
    (container(api).envFrom as Json[]).some((e) => e.configMapRef?.name === 'acme-config'),
    'the API reads the ConfigMap',
  );
  const digest = (objects: Json[]) =>
    find(objects as never, 'Deployment', 'acme-api').spec.template.metadata.annotations[
      CONFIG_DIGEST_ANNOTATION
    ];
  t.not(digest(withOrigins), digest(render({})));
});

test("data CA: the installation's bundle reaches api and worker (not ml) as NODE_EXTRA_CA_CERTS, and a new bundle rolls them", (t) => {
  const platform = { metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: {} };
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const objects = synthesize(platform, { dataServicesCa: pem }).objects;
  t.deepEqual(find(objects, 'ConfigMap', `acme${DATA_CA.configMapSuffix}`).data, { [DATA_CA.key]: pem });
  for (const name of ['acme-api', 'acme-worker']) {
    const d = find(objects, 'Deployment', name);
    const c = container(d);
    t.is(envOf(c, DATA_CA.env)?.value, `${DATA_CA.mountPath}/${DATA_CA.key}`, name);
    const mount = (c.volumeMounts as Json[]).find((m) => m.mountPath === DATA_CA.mountPath);
    t.like(mount, { readOnly: true }, name);
    const volume = (d.spec.template.spec.volumes as Json[]).find((v) => v.name === mount?.name);
    t.is(volume?.configMap?.name, `acme${DATA_CA.configMapSuffix}`, name);
  }
  t.is(
    envOf(container(find(objects, 'Deployment', 'acme-ml')), DATA_CA.env),
    undefined,
    'ml reaches no data service',
  );
  const plain = render({});
  t.false(
    plain.some((o) => o.metadata.name === `acme${DATA_CA.configMapSuffix}`),
    'no bundle, no ConfigMap',
  );
  t.is(envOf(container(find(plain, 'Deployment', 'acme-api')), DATA_CA.env), undefined);
  const digest = (objects: Json[]) =>
    find(objects as never, 'Deployment', 'acme-worker').spec.template.metadata.annotations[
      CONFIG_DIGEST_ANNOTATION
    ];
  const other = synthesize(platform, { dataServicesCa: pem.replace('MIIB', 'MIIC') }).objects;
  t.not(digest(objects), digest(other), 'a new bundle rolls the pods');
  t.not(digest(objects), digest(plain));
});

test("data: Secrets are referenced, never copied — provisioned Secret or the user's", (t) => {
  const provisioned = container(find(render({}), 'Deployment', 'acme-api'));
  t.deepEqual(envOf(provisioned, 'DATABASE_URL')?.valueFrom, {
    secretKeyRef: { name: dataSecretName('acme'), key: 'DATABASE_URL' },
  });
  t.deepEqual(envOf(provisioned, 'REDIS_URL')?.valueFrom, {
    secretKeyRef: { name: 'acme-data', key: 'REDIS_URL' },
  });
  const own = render({
    data: {
      postgres: { secretRef: { name: 'pg', key: 'url' } },
      opensearch: { endpoint: 'https://search.example.com:9243' },
    },
  });
  const w = container(find(own, 'Deployment', 'acme-worker'));
  t.deepEqual(envOf(w, 'DATABASE_URL')?.valueFrom, { secretKeyRef: { name: 'pg', key: 'url' } });
  t.is(envOf(w, 'OPENSEARCH_URL'), undefined, 'a credential-free endpoint comes from the ConfigMap');
  t.is(find(own, 'ConfigMap', 'acme-config').data.OPENSEARCH_URL, 'https://search.example.com:9243');
  t.true(find(own, 'NetworkPolicy', 'acme-worker').spec.egress[0].ports.some((p: Json) => p.port === 9243));
  for (const objects of [own, render(SELF_HOSTED)]) {
    t.false(objects.some((o) => o.kind === 'Secret'));
    t.false(
      objects.some((o) => (o as Json).data && JSON.stringify((o as Json).data).includes('postgres://')),
    );
  }
  t.is(
    envOf(container(find(own, 'Deployment', 'acme-ml')), 'DATABASE_URL'),
    undefined,
    'ml needs no database',
  );
});

test("auth: the API reads the operator's auth Secret whole, before its ConfigMap; worker and ml do not", (t) => {
  const objects = render({});
  t.deepEqual(container(find(objects, 'Deployment', 'acme-api')).envFrom, [
    { secretRef: { name: authSecretName('acme') } },
    { configMapRef: { name: 'acme-config' } },
  ]);
  for (const name of ['acme-worker', 'acme-ml']) {
    const c = container(find(objects, 'Deployment', name));
    t.deepEqual(c.envFrom, [{ configMapRef: { name: 'acme-config' } }], name);
    for (const key of Object.values(AUTH_SECRET_KEYS)) t.is(envOf(c, key), undefined, `${name} ${key}`);
  }
  t.false(has(objects, 'Secret', authSecretName('acme')), 'synth only names it: the reconciler generates it');
});

test('self-hosted vLLM: GPU, toleration, spot GPU node, cache and shm volumes, /health on 8000', (t) => {
  const objects = render(SELF_HOSTED);
  const d = find(objects, 'Deployment', 'acme-llm');
  const c = container(d);
  t.is(c.image, DEFAULT_IMAGES.vllm);
  // CVE-2025-24357 (arbitrary code through a model's weights file) is fixed from vLLM 0.7.0 on.
  const [major, minor] = /:v(\d+)\.(\d+)\./.exec(c.image)!.slice(1).map(Number) as [number, number];
  t.true(major > 0 || minor >= 7, `${c.image} predates vLLM 0.7.0`);
  t.deepEqual(c.args.slice(0, 2), ['--model', 'meta-llama/Llama-3.1-8B-Instruct']);
  // bf16 8B on one A10G: ~16 GB of weights leave KV cache for ~35k of the model's 131k tokens.
  t.deepEqual(argAfter(c.args, '--max-model-len'), '35072');
  t.deepEqual(argAfter(c.args, '--gpu-memory-utilization'), '0.9');
  t.is(c.resources.limits[GPU_RESOURCE], '1');
  t.is(c.resources.requests[GPU_RESOURCE], '1');
  t.deepEqual(d.spec.template.spec.tolerations, [
    { key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' },
  ]);
  // Spot preferred, on-demand allowed (onDemandFallback's default): the capacity type is no requirement.
  t.deepEqual(requiredNodeLabels(d), {
    [LABELS.nodePool]: ['gpu'],
    'node.kubernetes.io/instance-type': ['g5.2xlarge'],
  });
  t.deepEqual(d.spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution, [
    {
      weight: 100,
      preference: { matchExpressions: [{ key: EKS_CAPACITY_TYPE_LABEL, operator: 'In', values: ['SPOT'] }] },
    },
  ]);
  const spotOnly = find(
    render({
      llm: { ...SELF_HOSTED.llm, selfHosted: { ...SELF_HOSTED.llm.selfHosted, onDemandFallback: false } },
    }),
    'Deployment',
    'acme-llm',
  );
  t.deepEqual(requiredNodeLabels(spotOnly)[EKS_CAPACITY_TYPE_LABEL], ['SPOT'], 'spot only, as asked');
  t.is(
    spotOnly.spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution,
    undefined,
  );
  for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
    t.deepEqual(probe.httpGet, { path: '/health', port: 8000, scheme: 'HTTP' });
  }
  t.true(
    c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 1200,
    'room to download the model',
  );
  const volumes = Object.fromEntries(
    (d.spec.template.spec.volumes as Json[]).map((v) => [v.name, v.emptyDir]),
  );
  t.deepEqual(volumes.shm, { medium: 'Memory', sizeLimit: '2Gi' });
  t.deepEqual(volumes['model-cache'], { sizeLimit: '40Gi' });
  t.deepEqual((c.volumeMounts as Json[]).map((m) => m.mountPath).sort(), ['/dev/shm', '/models', '/tmp']);
  t.like(d.spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
  t.like(find(objects, 'Service', 'acme-llm').spec, { ports: [{ port: 80, targetPort: 8000 }] });
  // Spot: EC2 gives two minutes from the notice; the pod leaves the Service, then finishes within them.
  t.deepEqual(c.lifecycle, { preStop: { exec: { command: ['sleep', '10'] } } });
  t.is(d.spec.template.spec.terminationGracePeriodSeconds, 90);
  t.true(d.spec.template.spec.terminationGracePeriodSeconds + 10 < 120);
  const pdb = find(objects, 'PodDisruptionBudget', 'acme-llm');
  t.is(pdb.spec.maxUnavailable, 1, 'a drain takes one LLM pod at a time, and never blocks on one replica');
  t.is(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
  t.is(envOf(c, 'HF_TOKEN')?.valueFrom.secretKeyRef.optional, true);
});

test('self-hosted llama.cpp on g5.12xlarge on-demand: /health on 8080, all four GPUs', (t) => {
  const objects = render({
    llm: {
      provider: 'self-hosted',
      selfHosted: {
        runtime: 'llama-cpp',
        model: 'org/Model-GGUF:Q4_K_M',
        instanceType: 'g5.12xlarge',
        capacity: 'on-demand',
      },
    },
  });
  const d = find(objects, 'Deployment', 'acme-llm');
  const c = container(d);
  t.is(c.image, DEFAULT_IMAGES['llama-cpp']);
  t.regex(c.image!, /:server-cuda-b\d+$/, 'a pinned llama.cpp build, not the rolling tag');
  t.deepEqual(c.readinessProbe.httpGet, { path: '/health', port: 8080, scheme: 'HTTP' });
  t.true(c.args.includes('-hf') && c.args.includes('org/Model-GGUF:Q4_K_M'));
  t.is(c.resources.limits[GPU_RESOURCE], '4');
  t.deepEqual(requiredNodeLabels(d)[EKS_CAPACITY_TYPE_LABEL], ['ON_DEMAND']);
  t.is(find(objects, 'ResourceQuota', 'acme-quota').spec.hard[`requests.${GPU_RESOURCE}`], '4');
});

test('self-hosted llama.cpp: --ctx-size from the sizing; extraArgs come last so a repeated flag wins', (t) => {
  const args = (selfHosted: object) =>
    container(
      find(
        render({ llm: { provider: 'self-hosted', selfHosted: { runtime: 'llama-cpp', ...selfHosted } } }),
        'Deployment',
        'acme-llm',
      ),
    ).args as string[];
  const gguf = 'bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M';
  t.is(argAfter(args({ model: gguf, instanceType: 'g5.xlarge' }), '--ctx-size'), '120320');
  const extra = args({ model: gguf, extraArgs: ['--ctx-size', '8192', '--parallel', '2'] });
  t.deepEqual(extra.slice(-4), ['--ctx-size', '8192', '--parallel', '2']);
  // A model outside the table keeps the server's own context (validation warned).
  t.false(args({ model: 'org/Model-GGUF:Q4_K_M' }).includes('--ctx-size'));
});

test('self-hosted vLLM: 70B in 4-bit on g5.12xlarge serves its 130k tokens; 405B on g5.48xlarge is refused', (t) => {
  const spec = (model: string, instanceType: string) => ({
    llm: { provider: 'self-hosted', selfHosted: { model, instanceType, capacity: 'on-demand' } },
  });
  const c = container(
    find(
      render(spec('hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4', 'g5.12xlarge')),
      'Deployment',
      'acme-llm',
    ),
  );
  t.is(argAfter(c.args, '--max-model-len'), '130816');
  t.is(argAfter(c.args, '--tensor-parallel-size'), '4');
  t.throws(
    () =>
      synthesize({
        metadata: { name: 'acme' },
        spec: spec('meta-llama/Llama-3.1-405B-Instruct', 'g5.48xlarge') as never,
      }),
    {
      instanceOf: InvalidSpecError,
      message: /Llama-3\.1-405B-Instruct does not fit g5\.48xlarge: its weights need ~812 GB/,
    },
  );
});

test('network policies: default deny, DNS, and only the flows the platform needs', (t) => {
  const objects = render(SELF_HOSTED);
  const deny = find(objects, 'NetworkPolicy', 'acme-default-deny').spec;
  t.deepEqual(deny, {
    podSelector: { matchLabels: { [`${API_GROUP}/platform`]: 'acme' } },
    policyTypes: ['Ingress', 'Egress'],
  });
  const dns = find(objects, 'NetworkPolicy', 'acme-allow-dns').spec.egress[0];
  t.like(dns.to[0], { podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } });
  const api = find(objects, 'NetworkPolicy', 'acme-api').spec;
  t.deepEqual(api.ingress, [{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  t.true(api.egress.some((r: Json) => r.to[0].podSelector?.matchLabels[LABELS.component] === 'llm'));
  for (const r of api.egress as Json[])
    if (r.to[0].ipBlock) t.deepEqual(r.to[0].ipBlock.except, ['169.254.169.254/32']);
  const ml = find(objects, 'NetworkPolicy', 'acme-ml').spec;
  t.deepEqual(
    ml.ingress[0].from.map((f: Json) => f.podSelector.matchLabels[LABELS.component]),
    ['api', 'worker'],
  );
  t.is(ml.egress, undefined);
  t.deepEqual(find(objects, 'NetworkPolicy', 'acme-llm').spec.ingress[0].ports, [
    { protocol: 'TCP', port: 8000 },
  ]);
  t.false(has(render({}), 'NetworkPolicy', 'acme-llm'));
  const worker = find(render({}), 'NetworkPolicy', 'acme-worker').spec;
  t.is(worker.ingress, undefined, 'nothing may connect to the worker');
});

test('tenant quota: peak pods and requests of the resolved spec; LimitRange gives only default requests', (t) => {
  // demo: api max 3, worker 1, ml max 2, each plus a 25% surge pod → 4 + 2 + 3 = 9 pods.
  const q = find(render({}), 'ResourceQuota', 'acme-quota').spec.hard;
  t.is(q.pods, '9');
  t.is(q['requests.cpu'], '3'); // 4×250m + 2×250m + 3×500m
  t.is(q['requests.memory'], '6Gi'); // 4×512Mi + 2×512Mi + 3×1Gi
  t.is(q[`requests.${GPU_RESOURCE}`], undefined);
  const lr = find(render({}), 'LimitRange', 'acme-limits').spec.limits[0];
  t.deepEqual(Object.keys(lr).sort(), ['defaultRequest', 'type']);
});

test('hibernate: every Deployment at zero, no autoscalers; Services, config and the quota stay as awake', (t) => {
  const spec = { ...SELF_HOSTED, ingress: { host: 'acme.example.com' } };
  const awake = render(spec);
  const asleep = render({ ...spec, hibernate: true });
  for (const d of deployments(asleep)) t.is(d.spec.replicas, 0, d.metadata.name);
  t.deepEqual(
    asleep.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name),
    [],
  );
  const kinds = (objects: typeof awake) =>
    objects.filter((o) => o.kind !== 'HorizontalPodAutoscaler').map((o) => `${o.kind}/${o.metadata.name}`);
  t.deepEqual(kinds(asleep), kinds(awake), 'only the autoscalers go');
  t.deepEqual(
    find(asleep, 'ResourceQuota', 'acme-quota').spec,
    find(awake, 'ResourceQuota', 'acme-quota').spec,
    'waking is not held back by a quota applied after the Deployments',
  );
  t.deepEqual(find(asleep, 'ConfigMap', 'acme-config').data, find(awake, 'ConfigMap', 'acme-config').data);
});

test('monitoring: a ServiceMonitor over the api, worker and ml Services, alert rules, and scrapes admitted from Prometheus only', (t) => {
  const plain = render({});
  t.false(
    plain.some((o) => o.apiVersion.startsWith('monitoring.coreos.com/')),
    'only where the cluster serves them',
  );
  t.false(has(plain, 'Service', 'acme-worker'));

  const objects = synthesize(
    { metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: {} },
    { monitoring: { prometheusNamespace: 'observability' } },
  ).objects;
  const sm = find(objects, 'ServiceMonitor', 'acme');
  t.is(sm.apiVersion, 'monitoring.coreos.com/v1');
  // The Services the selector picks, as the Prometheus Operator would, and the port each endpoint names.
  const { matchLabels, matchExpressions } = sm.spec.selector;
  const selected = objects.filter(
    (o) =>
      o.kind === 'Service' &&
      Object.entries(matchLabels as Record<string, string>).every(([k, v]) => o.metadata.labels?.[k] === v) &&
      (matchExpressions as { key: string; values: string[] }[]).every((e) =>
        e.values.includes(o.metadata.labels?.[e.key] ?? ''),
      ),
  );
  t.deepEqual(selected.map((o) => o.metadata.name).sort(), ['acme-api', 'acme-ml', 'acme-worker']);
  for (const svc of selected) {
    const port = (svc as Json).spec.ports.find((p: { name: string }) => p.name === sm.spec.endpoints[0].port);
    t.is(port?.targetPort, 8080, svc.metadata.name);
  }
  t.is(sm.spec.endpoints[0].path, '/metrics');
  const worker = container(find(objects, 'Deployment', 'acme-worker'));
  t.deepEqual(worker.ports, [{ containerPort: 8080, name: 'http' }], 'the worker serves its metrics');

  const rules = find(objects, 'PrometheusRule', 'acme').spec.groups[0].rules as {
    alert: string;
    expr: string;
  }[];
  t.deepEqual(
    rules.map((r) => r.alert),
    ['SentimentIngestJobsFailing', 'SentimentApiErrors', 'SentimentMlSlow', 'SentimentPlatformDegraded'],
  );
  for (const r of rules.slice(0, 3))
    t.regex(r.expr, /namespace="tenant-acme",service="acme-(api|worker|ml)"/);
  t.regex(rules[3]!.expr, /platform_namespace="tenant-acme",platform="acme",phase="Degraded"/);

  const np = find(objects, 'NetworkPolicy', 'acme-allow-metrics').spec;
  t.deepEqual(np.ingress, [
    {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }],
    },
  ]);
  t.deepEqual(np.podSelector.matchExpressions, [
    { key: LABELS.component, operator: 'In', values: ['api', 'worker', 'ml'] },
  ]);
});

test('an impossible spec is refused with the admission rule message', (t) => {
  const err = t.throws(
    () =>
      synthesize({
        metadata: { name: 'acme' },
        spec: { llm: { provider: 'self-hosted', selfHosted: { model: 'm', capacity: 'fargate' as never } } },
      }),
    { instanceOf: InvalidSpecError },
  );
  t.regex(err!.message, /Fargate has no GPUs/);
  t.throws(() => synthesize({ metadata: { name: 'acme' }, spec: { api: { autoscaling: { min: 9 } } } }), {
    message: /once the profile is applied/,
  });
});

test('objects default to the namespace "default" when the platform names none', (t) => {
  const { objects, warnings } = synthesize({ metadata: { name: 'acme' }, spec: {} });
  t.true(objects.every((o) => o.metadata.namespace === 'default'));
  t.regex(warnings[0]!, /iamRoleArn/);
});

test('quantities are written the way the API server reads them back', (t) => {
  const cases: [string, string][] = [
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['512Mi', '512Mi'],
    ['74752Mi', '73Gi'],
    ['31000m', '31'],
    ['500m', '500m'],
    ['0.5', '500m'],
    ['2000', '2k'],
    ['1', '1'],
    ['40Gi', '40Gi'],
  ];
  for (const [input, canonical] of cases) t.is(canonicalQuantity(input), canonical, input);
});
