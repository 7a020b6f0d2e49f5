// The whole path on the test cluster's real node, as a platform team and an analyst meet it:
// `helm install` of the operator chart (our operator image, the chart's RBAC, 2 replicas, leader
// election) → `kubectl apply` of SentimentPlatforms → the tenants' pods, built from our images, Ready
// through their real probes → the product through its Service → failure and change while it runs.
// The steps share one operator and two tenants, so they run in order; each asserts what it proves.
import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'csv-parse/sync';
import { stringify } from 'yaml';
import { jiraSampleCsv } from '@sentiment/api';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import {
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  UserNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import {
  AUTH_SECRET_KEYS,
  BACKUP_SUFFIX,
  LABELS,
  OPERATOR_ADMIN_URL_ENV,
  authSecretName,
  backupCronJobName,
  backupPrefix,
  OPERATOR_MANAGED_ENV,
  tenantIdentity,
  type SentimentPlatformSpec,
} from '@sentiment/crds';
import { awsClientConfig, followAudit, writesIn } from '@sentiment/testenv';
import {
  apps,
  autoscaling,
  condition,
  core,
  describePods,
  env,
  getPlatform,
  kubectl,
  kubectlResult,
  podReady,
  podsOf,
  quietNode,
  secretData,
  serviceUrl,
  sleep,
  tenantData,
  tenantNamespace,
  uniqueName,
  waitFor,
} from './support/cluster.js';
import { installOperator, leaderPod, uninstallOperator, type OperatorRelease } from './support/operator.js';
import { TenantApi } from './support/tenant-api.js';

const LEASE_MS = 15_000;
/** Small requests: two tenants and the operator share the node's 2 CPUs. */
const small = (cpu: string, memory: string, limit: string) => ({
  requests: { cpu, memory },
  limits: { memory: limit },
});
const tenantSpec: SentimentPlatformSpec = {
  profile: 'demo',
  api: { replicas: 2, autoscaling: { min: 2, max: 3 }, resources: small('100m', '256Mi', '512Mi') },
  worker: { resources: small('100m', '256Mi', '512Mi') },
  ml: { autoscaling: { min: 1, max: 2 }, resources: small('200m', '512Mi', '1Gi') },
  llm: { provider: 'none' },
  ingress: { host: 'e2e.sentiment.example.com' },
};

/** B asks for spot capacity, as ultra-low-cost tenants do: its pods must land on the spot node by affinity. */
const onCapacity = (capacity: 'spot' | 'on-demand'): SentimentPlatformSpec => ({
  ...tenantSpec,
  api: { ...tenantSpec.api, capacity },
  worker: { ...tenantSpec.worker, capacity },
  ml: { ...tenantSpec.ml, capacity },
});

let op: OperatorRelease;
const s3 = new S3Client({ ...awsClientConfig(env), forcePathStyle: true });
const iam = new IAMClient(awsClientConfig(env));
const tenants = {
  a: { ns: '', name: 'acme', spec: tenantSpec },
  b: { ns: '', name: 'globex', spec: onCapacity('spot') },
  c: { ns: '', name: 'initech', spec: onCapacity('on-demand') },
};
const platformSelector = (name: string) => `${LABELS.platform}=${name}`;

function manifest(ns: string, name: string, spec: SentimentPlatformSpec): string {
  return stringify({
    apiVersion: 'sentiment.analytics.dev/v1alpha1',
    kind: 'SentimentPlatform',
    metadata: { name, namespace: ns },
    spec,
  });
}

test.before(async () => {
  await quietNode();
  op = await installOperator(uniqueName('e2e-operator'), LEASE_MS);
  tenants.a.ns = await tenantNamespace(uniqueName('tenant-e2e-a'));
  tenants.b.ns = await tenantNamespace(uniqueName('tenant-e2e-b'));
  tenants.c.ns = await tenantNamespace(uniqueName('tenant-e2e-c'));
});

test.after.always(async () => {
  for (const t of Object.values(tenants))
    if (t.ns) await kubectl(['delete', 'namespace', t.ns, '--wait=false']).catch(() => undefined);
  if (op) await uninstallOperator(op).catch(() => undefined);
});

test.serial('helm install: the operator runs from its image, 2 replicas, one of them leading', async (t) => {
  const deployments = (await apps.listNamespacedDeployment({ namespace: op.namespace })).items;
  t.is(deployments.length, 1);
  t.is(deployments[0]!.status?.readyReplicas, 2, 'both replicas Ready through their probes');
  // Installed with the CDK app's values: the data services' admin credentials come only from Secrets
  // Manager (moto), through the secrets the synthesized templates name; no admin URL reaches the pod.
  const envNames = deployments[0]!.spec!.template.spec!.containers[0]!.env!.map((e) => e.name);
  for (const name of Object.values(OPERATOR_MANAGED_ENV)) t.true(envNames.includes(name), name);
  for (const name of Object.values(OPERATOR_ADMIN_URL_ENV)) t.false(envNames.includes(name), name);
  const pods = (await core.listNamespacedPod({ namespace: op.namespace })).items;
  t.is(pods.filter(podReady).length, 2);
  const leader = await waitFor('a leader', () => leaderPod(op), 60_000);
  t.true(
    pods.some((p) => p.metadata!.name === leader),
    `the Lease holder ${leader} is one of the operator's pods`,
  );
});

test.serial(
  'kubectl apply of two tenants → every pod Ready through its probes → the platforms turn Ready',
  async (t) => {
    for (const x of [tenants.a, tenants.b])
      await kubectl(['apply', '-f', '-'], manifest(x.ns, x.name, x.spec));
    for (const x of [tenants.a, tenants.b]) {
      const ready = await waitFor(
        `${x.ns}/${x.name} Ready`,
        async () => {
          const p = await getPlatform(x.ns, x.name);
          return p?.status?.phase === 'Ready' && p;
        },
        300_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await describePods(x.ns, platformSelector(x.name))}`);
      });
      t.is(condition(ready, 'Ready')?.status, 'True');
      t.is(ready.status?.observedGeneration, ready.metadata.generation);
      const pods = await podsOf(x.ns, platformSelector(x.name));
      // api ×2, worker, ml: each Running, Ready, never restarted.
      t.deepEqual(
        pods.map((p) => p.metadata!.labels![LABELS.component]).sort(),
        ['api', 'api', 'ml', 'worker'],
        await describePods(x.ns, platformSelector(x.name)),
      );
      for (const p of pods) {
        t.true(podReady(p), `${p.metadata!.name} Ready`);
        t.is(p.spec!.nodeName, env.NODE_NAME, 'placed by the scheduler on the node');
        t.deepEqual(
          p.status!.containerStatuses!.map((c) => c.restartCount),
          [0],
          `${p.metadata!.name} never restarted`,
        );
      }
    }
  },
);

test.serial(
  "the operator's logs name where the admin credentials came from and hold none of them",
  async (t) => {
    const logs = await kubectl([
      'logs',
      '-n',
      op.namespace,
      '-l',
      'app.kubernetes.io/name=sentiment-operator',
      '--tail=-1',
    ]);
    t.regex(
      logs,
      /"dataServices":\{"postgres":"secrets-manager","redis":"secrets-manager","opensearch":"secrets-manager"\}/,
    );
    // ElastiCache refuses ACL SETUSER: the tenants' Redis users went through its API, into the CDK app's group.
    t.regex(logs, new RegExp(`"redisUsers":"ElastiCache user group ${env.ELASTICACHE_USER_GROUP}"`));
    for (const url of [env.DATABASE_URL, env.ELASTICACHE_REDIS_URL, env.OPENSEARCH_URL]) {
      const password = decodeURIComponent(new URL(url).password);
      t.true(password.length >= 16);
      t.false(logs.includes(password), `a password of ${new URL(url).protocol} appears in the logs`);
    }
  },
);

test.serial('inside the pods: non-root uid, read-only root filesystem, writable /tmp only', async (t) => {
  const { ns, name } = tenants.a;
  for (const component of ['api', 'worker', 'ml']) {
    const pod = (await podsOf(ns, `${platformSelector(name)},${LABELS.component}=${component}`))[0]!;
    const exec = (cmd: string) => kubectl(['exec', '-n', ns, pod.metadata!.name!, '--', 'sh', '-c', cmd]);
    t.is((await exec('id -u')).trim(), '65532', `${component} runs as the synth's uid`);
    t.regex(
      await exec('touch /probe 2>&1 || true'),
      /Read-only file system/,
      `${component}: root filesystem is read-only`,
    );
    t.is((await exec('touch /tmp/probe && echo ok')).trim(), 'ok', `${component}: /tmp is writable`);
  }
});

test.serial(
  'placement as on EKS: spot pods are placed by node affinity; on-demand pods wait for a node of that capacity',
  async (t) => {
    const b = tenants.b;
    for (const p of await podsOf(b.ns, platformSelector(b.name))) {
      const terms =
        p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
      t.deepEqual(
        terms[0]!.matchExpressions!.map((e) => `${e.key}=${e.values!.join()}`),
        ['eks.amazonaws.com/capacityType=SPOT', 'sentiment.analytics.dev/node-pool=general'],
      );
    }
    const c = tenants.c;
    await kubectl(['apply', '-f', '-'], manifest(c.ns, c.name, c.spec));
    const pending = await waitFor(
      'FailedScheduling events for the on-demand pods',
      async () => {
        const events = (
          await core.listNamespacedEvent({ namespace: c.ns, fieldSelector: 'reason=FailedScheduling' })
        ).items;
        return events.length >= 3 && events;
      },
      60_000,
    );
    for (const e of pending) t.regex(e.message ?? '', /didn't match Pod's node affinity\/selector/);
    const pods = await podsOf(c.ns, platformSelector(c.name));
    t.true(pods.length >= 3 && pods.every((p) => p.status?.phase === 'Pending' && !p.spec?.nodeName));
    t.is(
      (await getPlatform(c.ns, c.name))?.status?.phase,
      'Progressing',
      'not Ready, not Degraded: waiting for capacity',
    );
    await kubectl(['delete', 'sentimentplatform', c.name, '-n', c.ns, '--timeout=120s']);
  },
);

const SAMPLE_TICKETS = 120;
let sampleCsv = '';

test.serial(
  'an analyst uploads a Jira export through the API Service; the worker pod ingests it; dashboard and search match the file',
  async (t) => {
    const { ns, name } = tenants.a;
    sampleCsv = await text(jiraSampleCsv({ tickets: SAMPLE_TICKETS, seed: 7, prefix: 'E2E' }));
    const rows = parse(sampleCsv, { columns: false, relax_column_count: true }) as string[][];
    const header = rows[0]!;
    const tickets = rows.slice(1);
    const api = await TenantApi.login(ns, name);
    const queued = await api.upload('export.csv', sampleCsv);
    const job = await api.finished(queued.id, 240_000);
    t.is(job.state, 'completed', job.failure ?? '');
    t.is(job.rowsRead, SAMPLE_TICKETS);
    t.is(job.rowsScored, SAMPLE_TICKETS);
    t.is(job.rowsIndexed, SAMPLE_TICKETS);
    t.is(job.errorCount, 0);

    const overview = await api.get<{
      totals: { tickets: number; comments: number };
      byStatus: { key: string | null; tickets: number }[];
      byPriority: { key: string | null; tickets: number }[];
    }>('/v1/dashboard/overview');
    const comments = tickets.reduce(
      (n, r) => n + r.slice(header.indexOf('Comment')).filter(Boolean).length,
      0,
    );
    t.deepEqual(overview.totals, { tickets: SAMPLE_TICKETS, comments });
    const count = (column: string) => {
      const i = header.indexOf(column);
      const m: Record<string, number> = {};
      for (const r of tickets) m[r[i]!] = (m[r[i]!] ?? 0) + 1;
      return m;
    };
    const asMap = (b: { key: string | null; tickets: number }[]) =>
      Object.fromEntries(b.map((x) => [x.key, x.tickets]));
    t.deepEqual(asMap(overview.byStatus), count('Status'));
    t.deepEqual(asMap(overview.byPriority), count('Priority'));

    // Search (the tenant's OpenSearch index): the summaries that mention "charges twice" come first.
    const summary = header.indexOf('Summary');
    const matching = tickets.filter((r) => r[summary]!.includes('charges twice')).map((r) => r[0]!);
    t.true(matching.length > 0, 'the sample has tickets to find');
    const result = await api.get<{
      backend: string;
      total: number;
      items: { id: string; summary: string }[];
    }>(`/v1/search?q=${encodeURIComponent('charges twice')}&limit=100`);
    t.is(result.backend, 'opensearch');
    t.deepEqual(
      result.items
        .slice(0, matching.length)
        .map((h) => h.id)
        .sort(),
      [...matching].sort(),
      'every ticket whose summary says it ranks above those that do not',
    );
  },
);

const DASHBOARD = fileURLToPath(
  new URL('../../charts/sentiment-operator/dashboards/sentiment-platform.json', import.meta.url),
);

/** The metric families a PromQL expression reads (a histogram's _bucket/_sum/_count series by family). */
const metricNames = (expr: string): string[] =>
  [...expr.matchAll(/\b((?:sentiment|controller_runtime|workqueue|rest_client)_[a-z_]+)/g)].map((m) =>
    m[1]!.replace(/_(bucket|sum|count)$/, ''),
  );

/** The metric families a /metrics page declares (its `# TYPE` lines). */
async function metricFamilies(url: string): Promise<Set<string>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Set([...(await res.text()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

test.serial(
  "monitoring as Prometheus sees it: the tenant's ServiceMonitor selects its api, worker and ml Services, each serves /metrics, and every metric its PrometheusRule and the Grafana dashboard name is exported",
  async (t) => {
    const { ns, name } = tenants.a;
    const get = async <T>(kind: string, n: string, namespace: string) =>
      JSON.parse(await kubectl(['get', kind, n, '-n', namespace, '-o', 'json'])) as T;
    const sm = await get<{
      spec: {
        selector: {
          matchLabels: Record<string, string>;
          matchExpressions: { key: string; operator: 'In'; values: string[] }[];
        };
        endpoints: { port: string; path: string }[];
      };
    }>('servicemonitor', name, ns);
    const selector = [
      ...Object.entries(sm.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`),
      ...sm.spec.selector.matchExpressions.map((e) => `${e.key} in (${e.values.join(',')})`),
    ].join(',');
    const services = (await core.listNamespacedService({ namespace: ns, labelSelector: selector })).items;
    t.deepEqual(services.map((s) => s.metadata!.name).sort(), [
      `${name}-api`,
      `${name}-ml`,
      `${name}-worker`,
    ]);

    const exported = new Set<string>();
    const { port: portName, path } = sm.spec.endpoints[0]!;
    for (const svc of services) {
      const port = svc.spec!.ports!.find((p) => p.name === portName);
      t.truthy(port, `${svc.metadata!.name} has the port the ServiceMonitor scrapes`);
      const families = await metricFamilies(`http://${svc.spec!.clusterIP}:${port!.port}${path}`);
      for (const f of families) exported.add(f);
    }
    // The worker pod counted the job the previous test ingested.
    const workerSvc = services.find((s) => s.metadata!.name === `${name}-worker`)!;
    const workerMetrics = await (await fetch(`http://${workerSvc.spec!.clusterIP}:80${path}`)).text();
    t.regex(workerMetrics, /^sentiment_ingest_jobs_total\{state="completed"\} [1-9]/m);

    // The operator's own families (the Degraded alert reads its per-tenant phase), through its metrics Service.
    const opSvc = (await core.listNamespacedService({ namespace: op.namespace })).items.find((s) =>
      s.metadata!.name!.endsWith('-metrics'),
    )!;
    for (const f of await metricFamilies(
      `http://${opSvc.spec!.clusterIP}:${opSvc.spec!.ports![0]!.port}/metrics`,
    ))
      exported.add(f);

    const rule = await get<{ spec: { groups: { rules: { alert: string; expr: string }[] }[] } }>(
      'prometheusrule',
      name,
      ns,
    );
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    t.true(rules.length >= 4);
    // And the chart's Grafana dashboard: every panel's queries.
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const queries = [
      ...rules.map((r) => ({ what: `alert ${r.alert}`, expr: r.expr })),
      ...dashboard.panels.flatMap((p) =>
        (p.targets ?? []).map((q) => ({ what: `panel ${p.title}`, expr: q.expr })),
      ),
    ];
    t.true(queries.length > rules.length);
    for (const { what, expr } of queries) {
      const named = metricNames(expr);
      t.true(named.length > 0, what);
      for (const metric of named)
        t.true(exported.has(metric), `${what} names ${metric}, which nothing exports`);
    }
  },
);

interface Totals {
  totals: { tickets: number; comments: number };
}

test.serial(
  'the worker pod deleted mid-job: its replacement resumes the job, no ticket twice, none lost',
  async (t) => {
    const { ns, name } = tenants.a;
    const api = await TenantApi.login(ns, name);
    const before = (await api.get<Totals>('/v1/dashboard/overview')).totals;
    const n = 600;
    const csv = await text(jiraSampleCsv({ tickets: n, seed: 11, prefix: 'KILL' }));
    const worker = (await podsOf(ns, `${platformSelector(name)},${LABELS.component}=worker`))[0]!.metadata!
      .name!;
    const queued = await api.upload('big.csv', csv);
    await waitFor(
      'a first checkpoint',
      async () => {
        const j = await api.job(queued.id);
        return j.rowsScored > 0 && j.rowsScored < n && j;
      },
      180_000,
    );
    // As `kubectl delete pod` (or a node drain) does it: SIGTERM, then the grace period.
    await kubectl(['delete', 'pod', '-n', ns, worker, '--wait=false']);
    const job = await api.finished(queued.id, 300_000);
    t.is(job.state, 'completed', job.failure ?? '');
    t.is(job.rowsRead, n);
    t.is(job.rowsScored, n, 'every row scored once');
    t.is(job.errorCount, 0);
    const after = (await api.get<Totals>('/v1/dashboard/overview')).totals;
    t.deepEqual(
      after,
      { tickets: before.tickets + n, comments: before.comments + n * 4 },
      'no ticket or comment twice, none lost',
    );

    const replacement = (await podsOf(ns, `${platformSelector(name)},${LABELS.component}=worker`)).find(
      (p) => p.metadata!.name !== worker,
    )!;
    const lines = (await kubectl(['logs', '-n', ns, replacement.metadata!.name!]))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; jobId?: string; resumeAt?: number });
    const started = lines.find((l) => l.msg === 'ingest job started' && l.jobId === queued.id);
    t.truthy(started, 'the replacement pod ran the job');
    t.true(
      started!.resumeAt! > 0,
      `it resumed at the checkpoint (row ${started?.resumeAt}), not from the start`,
    );
  },
);

test.serial(
  'the HPAs act on real pod CPU: the ingest load scaled the ML service out (metrics-server → HPA → Deployment)',
  async (t) => {
    const { ns, name } = tenants.a;
    // The rescale follows the load by a metrics window (15 s) and an HPA sync (10 s).
    const rescale = await waitFor(
      'the ML HPA to scale out',
      async () => {
        const events = (
          await core.listNamespacedEvent({
            namespace: ns,
            fieldSelector: `involvedObject.name=${name}-ml,reason=SuccessfulRescale`,
          })
        ).items;
        return events.find((e) => /above target/.test(e.message ?? ''));
      },
      120_000,
    );
    t.regex(
      rescale.message!,
      /New size: 2; reason: cpu resource utilization \(percentage of request\) above target/,
    );
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      name: `${name}-ml`,
    });
    t.is(
      hpa.status?.conditions?.find((c) => c.type === 'ScalingActive')?.status,
      'True',
      'metrics flow to the HPA',
    );
    t.is(typeof hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization, 'number');
    await waitFor(
      'two ML pods Ready',
      async () =>
        (await podsOf(ns, `${platformSelector(name)},${LABELS.component}=ml`)).filter(podReady).length === 2,
      180_000,
    );
  },
);

test.serial(
  'a spec change rolls the API pods with zero failed requests from a client polling its Service',
  async (t) => {
    const { ns, name } = tenants.a;
    const api = await TenantApi.login(ns, name);
    const selector = `${platformSelector(name)},${LABELS.component}=api`;
    const before = (await podsOf(ns, selector)).map((p) => p.metadata!.name!);
    let ok = 0;
    const failures: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          await api.get('/v1/dashboard/overview');
          ok++;
        } catch (err) {
          failures.push((err as Error).message);
        }
        await sleep(25);
      }
    })();
    await sleep(2000);
    await kubectl([
      'patch',
      'sentimentplatform',
      name,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { api: { resources: small('100m', '256Mi', '640Mi') } } }),
    ]);
    await waitFor(
      'the rollout to finish',
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: ns, name: `${name}-api` });
        const s = d.status;
        const pods = await podsOf(ns, selector);
        return (
          s?.observedGeneration === d.metadata?.generation &&
          s?.updatedReplicas === 2 &&
          s?.readyReplicas === 2 &&
          pods.length === 2 &&
          pods.every((p) => !before.includes(p.metadata!.name!) && podReady(p))
        );
      },
      240_000,
    );
    await sleep(3000);
    polling = false;
    await poller;
    t.deepEqual(
      failures,
      [],
      `${failures.length} of ${ok + failures.length} requests failed during the rollout`,
    );
    t.true(ok > 100, `the client kept asking throughout (${ok} requests)`);
  },
);

test.serial(
  'the leading operator pod killed: the standby leads within the lease, applies a change made meanwhile, writes nothing else',
  async (t) => {
    const leader = (await leaderPod(op))!;
    const audit = followAudit(env.AUDIT_LOG, op.username);
    const since = new Date();
    await kubectl(['delete', 'pod', '-n', op.namespace, leader, '--grace-period=0', '--force']);
    const killedAt = Date.now();
    // Made while no operator leads: only the new leader can apply it.
    const b = tenants.b;
    await kubectl([
      'patch',
      'sentimentplatform',
      b.name,
      '-n',
      b.ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { ingress: { host: 'globex-after-failover.example.com' } } }),
    ]);
    const next = await waitFor(
      'a new leader',
      async () => {
        const h = await leaderPod(op);
        return h !== undefined && h !== leader && h;
      },
      LEASE_MS * 3,
    );
    const tookMs = Date.now() - killedAt;
    t.true(
      tookMs <= LEASE_MS + LEASE_MS / 5 + 3000,
      `took over in ${tookMs} ms (lease ${LEASE_MS} ms + one retry period)`,
    );
    t.true(
      (await podsOf(op.namespace, '')).some((p) => p.metadata!.name === next),
      'the new leader is a pod of the release',
    );
    await waitFor(
      'the change applied',
      async () => {
        const ing = await kubectl([
          'get',
          'ingress',
          `${b.name}-api`,
          '-n',
          b.ns,
          '-o',
          'jsonpath={.spec.rules[0].host}',
        ]);
        const p = await getPlatform(b.ns, b.name);
        return (
          ing === 'globex-after-failover.example.com' &&
          p?.status?.observedGeneration === p?.metadata.generation
        );
      },
      60_000,
    );
    // Let the new leader's first full pass over every platform finish.
    await sleep(10_000);
    const writes = writesIn(audit(), [tenants.a.ns, b.ns], since).map(
      (e) =>
        `${e.objectRef?.namespace === b.ns ? 'b' : 'a'} ${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`,
    );
    t.deepEqual(
      writes.filter((w) => w.startsWith('a ')),
      [],
      'the unchanged tenant gets no write from the new leader',
    );
    t.deepEqual(
      [...new Set(writes.filter((w) => w.startsWith('b ') && !w.endsWith(' events')))].sort(),
      ['b patch ingresses', 'b patch sentimentplatforms/status'],
      `the changed tenant gets its change and status, nothing else (all writes: ${writes.join(', ')})`,
    );
  },
);

test.serial(
  "two tenants on one node: A's pods hold no Kubernetes credentials and A's data credentials cannot reach B's data",
  async (t) => {
    const a = tenants.a;
    const b = tenantIdentity(tenants.b.ns, tenants.b.name);
    const pod = (await podsOf(a.ns, `${platformSelector(a.name)},${LABELS.component}=api`))[0]!.metadata!
      .name!;
    const node = (script: string, ...args: string[]) =>
      kubectl(['exec', '-n', a.ns, pod, '--', 'node', '-e', script, '--', ...args]);
    // No ServiceAccount token in the pod, and A's ServiceAccount could not read B's Secrets anyway.
    t.regex(
      await node(
        "try { require('fs').readdirSync('/var/run/secrets/kubernetes.io'); console.log('mounted') } catch (e) { console.log(e.code) }",
      ),
      /ENOENT/,
    );
    t.is(
      (
        await kubectlResult([
          'auth',
          'can-i',
          'get',
          'secrets',
          '-n',
          tenants.b.ns,
          `--as=system:serviceaccount:${a.ns}:${a.name}`,
        ])
      ).stdout.trim(),
      'no',
    );
    // A's Postgres role, from A's pod, on B's database: refused at connect.
    const pg = await node(
      `const pg = require('pg'); const u = new URL(process.env.DATABASE_URL); u.pathname = '/' + process.argv[1];
     const c = new pg.Client({ connectionString: u.toString() });
     c.connect().then(() => c.query('select count(*) from tickets')).then(() => console.log('READ'), (e) => console.log('DENIED ' + e.message)).finally(() => c.end().catch(() => {}));`,
      b.id,
    );
    t.regex(pg, /^DENIED permission denied for database/m);
    // A's Redis user, from A's pod, on B's keys (B's ingest queue lives under B's prefix): NOPERM.
    const redis = await node(
      `const Redis = require('ioredis'); const r = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
     r.get(process.argv[1] + 'ingest:meta').then(() => console.log('READ'), (e) => console.log('DENIED ' + e.message)).finally(() => r.disconnect());`,
      b.redisKeyPrefix,
    );
    t.regex(redis, /^DENIED NOPERM/m);
    // A's OpenSearch user (fine-grained access control), from A's pod: its own index answers, B's is 403.
    const search = (index: string) =>
      node(
        `const { Client } = require('@opensearch-project/opensearch'); const c = new Client({ node: process.env.OPENSEARCH_URL });
       c.count({ index: process.argv[1] }).then((r) => console.log('COUNT ' + r.body.count), (e) => console.log('DENIED ' + e.meta?.statusCode)).finally(() => c.close());`,
        index,
      );
    t.regex(await search(`${tenantIdentity(a.ns, a.name).opensearchIndexPrefix}tickets`), /^COUNT [1-9]/m);
    t.regex(await search(`${b.opensearchIndexPrefix}tickets`), /^DENIED 403/m);
    // What this cluster cannot show: its bridge CNI enforces no NetworkPolicy (A's pods can open
    // connections to B's Services; the data services refuse A's credentials on B's data, as above).
  },
);

test.serial(
  'deleting a SentimentPlatform removes its pods and objects and drops its data; the namespace is left clean',
  async (t) => {
    const { ns, name } = tenants.b;
    const id = tenantIdentity(ns, name);
    await kubectl(['delete', 'sentimentplatform', name, '-n', ns, '--timeout=180s']);
    await waitFor('pods gone', async () => (await podsOf(ns, '')).length === 0, 180_000);
    const left = await kubectl([
      'get',
      'all,configmaps,secrets,serviceaccounts,pvc,ingresses,networkpolicies,resourcequotas,limitranges,hpa,pdb',
      '-n',
      ns,
      '-o',
      'name',
    ]);
    // What the cluster itself keeps in every namespace: the default ServiceAccount and the root CA ConfigMap.
    t.deepEqual(left.split('\n').filter(Boolean).sort(), [
      'configmap/kube-root-ca.crt',
      'serviceaccount/default',
    ]);
    const data = await tenantData(id.id);
    t.is(data.database, 0, 'database dropped');
    t.is(data.role, 0, 'role dropped');
    // The shared Redis is ElastiCache with RBAC: the user is out of the group and deleted through its API.
    const elastiCache = new ElastiCacheClient(awsClientConfig(env));
    const group = await elastiCache.send(
      new DescribeUserGroupsCommand({ UserGroupId: env.ELASTICACHE_USER_GROUP }),
    );
    t.false(
      group.UserGroups![0]!.UserIds!.includes(id.elastiCacheUserId),
      'Redis user out of the user group',
    );
    const status = await elastiCache.send(new DescribeUsersCommand({ UserId: id.elastiCacheUserId })).then(
      (out) => out.Users?.[0]?.Status,
      (err: unknown) => (err instanceof UserNotFoundFault ? 'gone' : Promise.reject(err)),
    );
    t.true(status === 'deleting' || status === 'gone', `Redis user deleted (${status})`);
    const redis = new Redis(env.ELASTICACHE_REDIS_URL);
    try {
      t.deepEqual(
        (await redis.scan('0', 'MATCH', `${id.redisKeyPrefix}*`, 'COUNT', 10000))[1],
        [],
        'no key left under its prefix',
      );
    } finally {
      redis.disconnect();
    }
    const os = new OpenSearch({ node: env.OPENSEARCH_URL });
    const indices = (await os.cat.indices({ format: 'json' }).finally(() => os.close())).body as {
      index: string;
    }[];
    t.false(
      indices.some((i) => i.index.startsWith(id.opensearchIndexPrefix)),
      'search index deleted',
    );
  },
);

/** What an analyst sees of tenant A: recorded before its backup, compared after the restore. */
interface Seen {
  overview: unknown;
  search: unknown;
}
let beforeBackup: Seen;
let adminLogin: { email: string; password: string };
const backupSpec = { schedule: '0 0 1 1 *', retain: 2 };

async function seen(api: TenantApi): Promise<Seen> {
  return {
    overview: await api.get('/v1/dashboard/overview'),
    search: await api.get(`/v1/search?q=${encodeURIComponent('charges twice')}&limit=100`),
  };
}

test.serial(
  "a backup of tenant A: its CronJob's Job dumps the database with pg_dump 17 into S3 under the tenant's prefix, with the tenant's own backup role (made by the operator in IAM, given to the pod by IRSA)",
  async (t) => {
    const { ns, name } = tenants.a;
    const api = await TenantApi.login(ns, name);
    beforeBackup = await seen(api);
    const auth = await secretData(ns, authSecretName(name));
    adminLogin = {
      email: auth[AUTH_SECRET_KEYS.adminEmail]!,
      password: auth[AUTH_SECRET_KEYS.adminPassword]!,
    };
    await kubectl(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      manifest(ns, name, { ...tenantSpec, backup: backupSpec }),
    );
    const cronJob = backupCronJobName(name);
    await waitFor(
      'the backup CronJob',
      async () => (await kubectlResult(['get', 'cronjob', cronJob, '-n', ns])).code === 0,
      60_000,
    );
    // What a platform team does for a backup now (before maintenance): a Job from the CronJob's template.
    await kubectl(['create', 'job', `${name}-backup-now`, '-n', ns, `--from=cronjob/${cronJob}`]);
    const done = await waitFor(
      'the backup Job to finish',
      async () => {
        const job = JSON.parse(
          await kubectl(['get', 'job', `${name}-backup-now`, '-n', ns, '-o', 'json']),
        ) as {
          status?: { succeeded?: number; failed?: number };
        };
        const s = job.status ?? {};
        // Done: one pod succeeded, or the Job's backoffLimit (2) spent.
        return (s.succeeded ?? 0) > 0 || (s.failed ?? 0) >= 3 ? s : false;
      },
      300_000,
    );
    const logs = await kubectl(['logs', `job/${name}-backup-now`, '-n', ns]).catch((e: Error) => e.message);
    t.is(done.succeeded, 1, logs);
    const prefix = backupPrefix(ns, tenantIdentity(ns, name).id);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: op.backupBucket, Prefix: prefix }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    t.is(keys.length, 1, keys.join(', '));
    t.true(keys[0]!.endsWith(BACKUP_SUFFIX));
    t.true((listed.Contents![0]!.Size ?? 0) > 10_000, 'a dump with the ingested tickets in it');
    const pod = (await podsOf(ns, `job-name=${name}-backup-now`))[0]!;
    const podEnv = Object.fromEntries(pod.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    t.truthy(podEnv.AWS_WEB_IDENTITY_TOKEN_FILE, 'IRSA, not keys');
    t.false('AWS_ACCESS_KEY_ID' in podEnv);
    t.is(pod.spec!.serviceAccountName, `${name}-backup`, 'not the ServiceAccount of the API and workers');
    const platform = await getPlatform(ns, name);
    t.is(platform?.status?.backup?.location, `s3://${op.backupBucket}/${prefix}`);
    // The role the pod assumed is the platform's own, as the operator made it from the CDK app's values:
    // under the infra's boundary, trusted by this ServiceAccount's tokens from this cluster's issuer only,
    // reaching this prefix only.
    const roleArn = platform?.status?.backup?.role;
    t.is(podEnv.AWS_ROLE_ARN, roleArn);
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleArn!.split('/').pop()! }))).Role!;
    const { issuer } = JSON.parse(await kubectl(['get', '--raw', '/.well-known/openid-configuration'])) as {
      issuer: string;
    };
    const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)) as {
      Statement: { Condition: { StringEquals: Record<string, string> } }[];
    };
    t.deepEqual(trust.Statement[0]!.Condition.StringEquals, {
      [`${issuer.replace(/^https:\/\//, '')}:sub`]: `system:serviceaccount:${ns}:${name}-backup`,
      [`${issuer.replace(/^https:\/\//, '')}:aud`]: 'sts.amazonaws.com',
    });
    t.is(role.PermissionsBoundary?.PermissionsBoundaryArn, op.backupRoleBoundary);
    const policy = await iam.send(
      new GetRolePolicyCommand({ RoleName: role.RoleName!, PolicyName: 'tenant-backups' }),
    );
    t.true(
      decodeURIComponent(policy.PolicyDocument!).includes(`"arn:aws:s3:::${op.backupBucket}/${prefix}*"`),
      'the prefix, nothing wider',
    );
  },
);

test.serial(
  'restore: tenant A deleted (its data dropped) and applied again with spec.restore latest: pg_restore, the search index rebuilt, the same dashboard and search',
  async (t) => {
    const { ns, name } = tenants.a;
    const id = tenantIdentity(ns, name);
    await kubectl(['delete', 'sentimentplatform', name, '-n', ns, '--timeout=180s']);
    t.is((await tenantData(id.id)).database, 0, 'data dropped');
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      manifest(ns, name, {
        ...tenantSpec,
        backup: backupSpec,
        restore: { backup: 'latest' },
      }),
    );
    const restored = await waitFor(
      'the restore to finish and the platform to turn Ready',
      async () => {
        const p = await getPlatform(ns, name);
        if (p?.status?.restore?.phase === 'Failed') return p;
        return p?.status?.restore?.phase === 'Succeeded' && p.status.phase === 'Ready' && p;
      },
      420_000,
    ).catch(async (err: Error) => {
      // What the tenant looked like when time ran out: the namespace is gone by the time anyone reads this.
      const platform = await getPlatform(ns, name);
      const objects = await kubectl(['get', 'jobs,pods', '-n', ns, '-o', 'wide']).catch(
        (e: Error) => e.message,
      );
      throw new Error(`${err.message}\nstatus: ${JSON.stringify(platform?.status)}\n${objects}`);
    });
    const job = restored.status?.restore?.job ?? '';
    const logs =
      restored.status?.restore?.phase === 'Succeeded'
        ? ''
        : await kubectl(['logs', `job/${job}`, '-n', ns, '--all-containers']).catch((e: Error) => e.message);
    t.is(restored.status?.restore?.phase, 'Succeeded', `${restored.status?.restore?.message}\n${logs}`);
    t.is(condition(restored, 'Restored')?.status, 'True');
    // The restored database brings its users: the admin signs in with the password it had before.
    const api = await TenantApi.withLogin(
      await serviceUrl(ns, `${name}-api`),
      adminLogin.email,
      adminLogin.password,
    );
    t.deepEqual(await seen(api), beforeBackup);
  },
);
