// The operator against the real kube-apiserver + controller-manager, Postgres, Redis and OpenSearch:
// create → children and Ready; steady state → zero writes; update; drift; prune; invalid spec;
// the API's auth Secret generated once, or the user's kept; delete → finalizer cleanup and garbage
// collection; retainOnDelete.
import test from 'ava';
import { CoreV1Api, EventsV1Api } from '@kubernetes/client-node';
import {
  AUTH_SECRET_KEYS,
  FIELD_MANAGER,
  FINALIZER,
  LABELS,
  authSecretName,
  dataSecretName,
} from '@sentiment/crds';
import { tenantIdentity } from '@sentiment/crds';
import { postgresTenantExists } from '../../src/tenancy/postgres.js';
import { redisTenantExists } from '../../src/tenancy/redis.js';
import type { Manager } from '../../src/manager.js';
import {
  adminKc,
  builtWorkloads,
  apps,
  condition,
  createPlatform,
  deletePlatform,
  env,
  getPlatform,
  installCrd,
  kubectl,
  labelled,
  operatorWrites,
  patchSpec,
  startOperator,
  tempNamespace,
  waitFor,
} from './harness.js';

const core = adminKc.makeApiClient(CoreV1Api);
const events = adminKc.makeApiClient(EventsV1Api);
let ns: string;
let operator: Manager;

const spec = {
  profile: 'demo' as const,
  ...builtWorkloads,
  llm: {
    provider: 'bedrock' as const,
    bedrock: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1' },
  },
  ingress: { host: 'acme.sentiment.example.com' },
  serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/sentiment-acme' },
};

const children = (platform: string) => labelled(ns, platform);

async function platformEvents(platform: string) {
  return (await events.listNamespacedEvent({ namespace: ns, fieldSelector: `regarding.name=${platform}` }))
    .items;
}

async function eventReasons(platform: string): Promise<string[]> {
  return (await platformEvents(platform)).map((e) => e.reason ?? '');
}

const readSecret = (name: string) => core.readNamespacedSecret({ namespace: ns, name });
const decoded = (data: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
/** The generated auth Secret as the create test saw it: later tests check it was never rewritten. */
let auth: { resourceVersion: string; data: Record<string, string> };

test.before(async () => {
  await installCrd();
  ns = await tempNamespace('op-life');
  operator = startOperator([ns]);
  await operator.start();
});

test.after.always(async () => {
  await operator?.stop();
  await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

test.serial(
  'create → children with owner references and labels, data provisioned, then Ready once pods are',
  async (t) => {
    const created = await createPlatform(ns, 'acme', spec);
    const p = await waitFor('Progressing status', async () => {
      const p = await getPlatform(ns, 'acme');
      return p?.status?.phase === 'Progressing' && p;
    });
    t.is(p.status?.observedGeneration, p.metadata.generation);
    t.true(p.metadata.finalizers?.includes(FINALIZER));
    t.is(condition(p, 'DataServicesReady')?.status, 'True');
    t.regex(condition(p, 'Ready')!.message, /waiting for api, worker, ml/);
    t.true(p.status!.estimatedMonthlyCost!.total > 0);
    t.is(
      p.status?.endpoints?.api,
      'https://acme.sentiment.example.com',
      'HTTPS by default at the ingress host',
    );

    const kids = await children('acme');
    for (const expected of [
      'Deployment/acme-api',
      'Deployment/acme-worker',
      'Deployment/acme-ml',
      'Service/acme-api',
      'ConfigMap/acme-config',
      `Secret/${dataSecretName('acme')}`,
      `Secret/${authSecretName('acme')}`,
      'NetworkPolicy/acme-default-deny',
      'HorizontalPodAutoscaler/acme-api',
      // test/env installs the Prometheus Operator's CRDs: the operator finds them and the API server
      // validates these against the real schemas.
      'ServiceMonitor/acme',
      'PrometheusRule/acme',
      'Service/acme-worker',
      'NetworkPolicy/acme-allow-metrics',
    ]) {
      t.true(kids.includes(expected), `${expected} missing from ${kids.join(', ')}`);
    }
    const api = await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-api' });
    t.deepEqual(
      api.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [['SentimentPlatform', 'acme', created.metadata.uid, true]],
    );
    t.true(api.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'));
    // Regression: through client-node's typed serializer `from` became `_from` and was dropped, leaving a
    // policy that admitted every pod. The live policy must keep its sources.
    const policy = JSON.parse(await kubectl(['get', 'networkpolicy', 'acme-ml', '-n', ns, '-o', 'json']));
    t.deepEqual(
      policy.spec.ingress[0].from.map(
        (f: { podSelector: { matchLabels: Record<string, string> } }) =>
          f.podSelector.matchLabels[LABELS.component],
      ),
      ['api', 'worker'],
    );

    // Tenancy: a real database and Redis user, credentials only in the tenant's Secret.
    const id = tenantIdentity(ns, 'acme');
    t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: true, database: true });
    t.true(await redisTenantExists(env.REDIS_URL, id.id));
    t.is(p.status?.tenancy?.database, id.id);
    t.false(JSON.stringify(p).includes(new URL(env.DATABASE_URL).password));

    // The kubelet runs the pods; their probes, through the Deployments' status, make the platform Ready.
    const ready = await waitFor(
      'Ready',
      async () => {
        const p = await getPlatform(ns, 'acme');
        return p?.status?.phase === 'Ready' && p;
      },
      240_000,
    );
    t.is(condition(ready, 'Ready')?.status, 'True');
    t.is(condition(ready, 'Degraded')?.status, 'False');
    t.deepEqual(ready.status?.components?.worker, { ready: true, desired: 1, readyReplicas: 1 });
    // What `kubectl get sp` shows: the printer columns read status.
    const row = (await kubectl(['get', 'sp', 'acme', '-n', ns, '--no-headers'])).trim().split(/\s+/);
    t.deepEqual(row.slice(0, 4), ['acme', 'Ready', 'True', 'bedrock:anthropic.claude-3-haiku-20240307-v1:0']);
    const reasons = await waitFor('events', async () => {
      const r = await eventReasons('acme');
      return r.includes('Ready') && r;
    });
    t.true(reasons.includes('DataServicesProvisioned'));
  },
);

test.serial(
  "auth Secret: generated once with values the API accepts, owned, read by the API's pods only",
  async (t) => {
    const secret = await readSecret(authSecretName('acme'));
    const values = decoded(secret.data);
    t.deepEqual(Object.keys(values).sort(), Object.values(AUTH_SECRET_KEYS).sort());
    t.true(values[AUTH_SECRET_KEYS.jwtSecret]!.length >= 32, 'the API refuses a shorter HS256 key');
    t.true(values[AUTH_SECRET_KEYS.adminPassword]!.length >= 12, 'the API refuses a shorter admin password');
    t.is(values[AUTH_SECRET_KEYS.adminEmail], 'admin@sentiment.local');
    const platform = await getPlatform(ns, 'acme');
    t.deepEqual(
      secret.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [['SentimentPlatform', 'acme', platform!.metadata.uid, true]],
    );
    auth = { resourceVersion: secret.metadata!.resourceVersion!, data: secret.data! };

    const envFrom = async (name: string) =>
      (await apps.readNamespacedDeployment({ namespace: ns, name })).spec!.template.spec!.containers[0]!
        .envFrom ?? [];
    t.true((await envFrom('acme-api')).some((e) => e.secretRef?.name === authSecretName('acme')));
    t.false((await envFrom('acme-worker')).some((e) => e.secretRef?.name === authSecretName('acme')));

    const created = (await platformEvents('acme')).filter((e) => e.reason === 'AuthSecretCreated');
    t.is(created.length, 1, 'created once, however many reconciles ran since');
    t.regex(created[0]!.note!, new RegExp(authSecretName('acme')));
    for (const v of Object.values(values))
      t.false(created[0]!.note!.includes(v), 'the event names the Secret, never its values');
  },
);

test.serial('a steady-state resync sends no write request at all (audit log)', async (t) => {
  await operator.whenIdle();
  await new Promise((r) => setTimeout(r, 1000));
  const since = new Date();
  const writesBefore = (await operator.metrics.apiWrites.get()).values.reduce((s, v) => s + v.value, 0);
  for (let i = 0; i < 3; i++) {
    operator.resyncAll();
    await operator.whenIdle();
  }
  await new Promise((r) => setTimeout(r, 500));
  t.deepEqual(
    operatorWrites([ns], since).map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`),
    [],
  );
  const writesAfter = (await operator.metrics.apiWrites.get()).values.reduce((s, v) => s + v.value, 0);
  t.is(writesAfter, writesBefore);
  const reconciles = (await operator.metrics.reconciles.get()).values.reduce((s, v) => s + v.value, 0);
  t.true(reconciles >= 3, 'the resyncs did reconcile');
  const secret = await readSecret(authSecretName('acme'));
  t.is(secret.metadata?.resourceVersion, auth.resourceVersion, 'the auth Secret is never rewritten');
  t.deepEqual(secret.data, auth.data);
});

test.serial(
  "a user's own auth Secret is kept as it is: not overwritten, not adopted, and asked for once",
  async (t) => {
    // As `kubectl create secret` makes it: no labels, so the operator's cache never shows it.
    const mine = {
      [AUTH_SECRET_KEYS.jwtSecret]: 'my-own-signing-key-of-at-least-32-characters',
      [AUTH_SECRET_KEYS.adminEmail]: 'ops@example.com',
      [AUTH_SECRET_KEYS.adminPassword]: 'my own admin password',
    };
    const before = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: authSecretName('byo') }, stringData: mine },
    });
    const since = new Date();
    const own = { secretRef: { name: 'byo-own-data' } };
    await createPlatform(ns, 'byo', {
      profile: 'demo',
      data: { postgres: own, redis: own, opensearch: own },
    });
    await waitFor('reconciled', async () => (await getPlatform(ns, 'byo'))?.status?.phase === 'Progressing');
    for (let i = 0; i < 3; i++) {
      operator.resyncAll();
      await operator.whenIdle();
    }
    const after = await readSecret(authSecretName('byo'));
    t.is(after.metadata?.resourceVersion, before.metadata?.resourceVersion);
    t.deepEqual(decoded(after.data), mine);
    t.is(after.metadata?.ownerReferences, undefined, "the user's Secret outlives the platform");
    t.false((await eventReasons('byo')).includes('AuthSecretCreated'));
    // One create answered 409; the resyncs after it did not ask again.
    t.deepEqual(
      operatorWrites([ns], since)
        .filter((e) => e.objectRef?.resource === 'secrets')
        .map((e) => e.verb),
      ['create'],
    );
    await deletePlatform(ns, 'byo');
    await waitFor('platform gone', async () => (await getPlatform(ns, 'byo')) === undefined, 60_000);
    t.deepEqual(decoded((await readSecret(authSecretName('byo'))).data), mine);
  },
);

test.serial('update → applied to the children', async (t) => {
  await patchSpec(ns, 'acme', { worker: { replicas: 3 } });
  const worker = await waitFor('worker scaled to 3', async () => {
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-worker' });
    return d.spec?.replicas === 3 && d;
  });
  t.is(worker.spec?.replicas, 3);
  const p = await waitFor(
    'three workers running',
    async () => {
      const p = await getPlatform(ns, 'acme');
      return (
        p?.status?.observedGeneration === p?.metadata.generation &&
        p?.status?.components?.worker?.readyReplicas === 3 &&
        p
      );
    },
    120_000,
  );
  t.deepEqual(p.status?.components?.worker, { ready: true, desired: 3, readyReplicas: 3 });
});

test.serial(
  'paused: a spec change and drift wait, only status is written; resuming applies both',
  async (t) => {
    await patchSpec(ns, 'acme', { paused: true });
    const paused = await waitFor('Paused condition', async () => {
      const p = await getPlatform(ns, 'acme');
      return condition(p, 'Paused')?.status === 'True' && p;
    });
    t.is(paused.status?.observedGeneration, paused.metadata.generation);
    t.regex(condition(paused, 'Paused')!.message, /applies nothing/);
    t.is(
      condition(paused, 'DataServicesReady')?.status,
      'True',
      'what the last reconcile established is kept',
    );

    const since = new Date();
    await patchSpec(ns, 'acme', { worker: { replicas: 1 } });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'acme-config' });
    // Both changes reach the operator (a spec generation and a child delete event) and are left alone.
    await waitFor('the paused generation observed', async () => {
      const p = await getPlatform(ns, 'acme');
      return p?.status?.observedGeneration === p?.metadata.generation && p;
    });
    await new Promise((r) => setTimeout(r, 2000));
    await operator.whenIdle();
    t.is((await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-worker' })).spec?.replicas, 3);
    await t.throwsAsync(core.readNamespacedConfigMap({ namespace: ns, name: 'acme-config' }));
    t.deepEqual(
      operatorWrites([ns], since)
        .filter((e) => e.objectRef?.resource !== 'events' && e.objectRef?.subresource !== 'status')
        .map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`),
      [],
      'nothing but status and events',
    );

    await patchSpec(ns, 'acme', { paused: null });
    await waitFor('worker scaled to 1 and the ConfigMap back', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-worker' });
      const cm = await core
        .readNamespacedConfigMap({ namespace: ns, name: 'acme-config' })
        .catch(() => undefined);
      return d.spec?.replicas === 1 && cm !== undefined;
    });
    const resumed = await waitFor('Paused condition gone', async () => {
      const p = await getPlatform(ns, 'acme');
      return condition(p, 'Paused') === undefined && p;
    });
    t.is(condition(resumed, 'Degraded')?.status, 'False');
    const reasons = await waitFor('Paused and Resumed events', async () => {
      const r = await eventReasons('acme');
      return r.includes('Paused') && r.includes('Resumed') && r;
    });
    t.true(reasons.includes('Resumed'));
  },
);

test.serial(
  'hibernate: every pod goes, the autoscalers too, the cost drops, the data stays; waking brings it back Ready',
  async (t) => {
    const awake = await waitFor(
      'Ready before hibernating',
      async () => {
        const p = await getPlatform(ns, 'acme');
        return p?.status?.phase === 'Ready' && p;
      },
      120_000,
    );
    await patchSpec(ns, 'acme', { hibernate: true });
    const asleep = await waitFor(
      'Hibernated',
      async () => {
        const p = await getPlatform(ns, 'acme');
        return p?.status?.phase === 'Hibernated' && p;
      },
      120_000,
    );
    t.like(condition(asleep, 'Ready'), { status: 'False', reason: 'Hibernated' });
    t.true(
      asleep.status!.estimatedMonthlyCost!.total < awake.status!.estimatedMonthlyCost!.total,
      `hibernated $${asleep.status!.estimatedMonthlyCost!.total} < awake $${awake.status!.estimatedMonthlyCost!.total}`,
    );
    const kids = await children('acme');
    t.false(
      kids.some((k) => k.startsWith('HorizontalPodAutoscaler/')),
      kids.join(', '),
    );
    t.true(kids.includes(`Secret/${dataSecretName('acme')}`) && kids.includes('Service/acme-api'));
    // The kubelet stops every pod of the tenant (terminating ones included).
    await waitFor(
      'no pod of the tenant left',
      async () =>
        (await core.listNamespacedPod({ namespace: ns, labelSelector: `${LABELS.platform}=acme` })).items
          .length === 0,
      120_000,
    );
    const id = tenantIdentity(ns, 'acme');
    t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: true, database: true });
    t.true((await eventReasons('acme')).includes('Hibernated'));

    await patchSpec(ns, 'acme', { hibernate: null });
    const woken = await waitFor(
      'Ready again',
      async () => {
        const p = await getPlatform(ns, 'acme');
        return p?.status?.phase === 'Ready' && p;
      },
      240_000,
    );
    t.deepEqual(woken.status?.components?.worker, { ready: true, desired: 1, readyReplicas: 1 });
    t.true((await children('acme')).includes('HorizontalPodAutoscaler/acme-api'));
    t.deepEqual(woken.status?.estimatedMonthlyCost, awake.status?.estimatedMonthlyCost);
  },
);

test.serial('drift: a deleted child comes back, an edited field is restored', async (t) => {
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'acme-config' });
  const cm = await waitFor('ConfigMap restored', () =>
    core.readNamespacedConfigMap({ namespace: ns, name: 'acme-config' }),
  );
  t.truthy(cm.data);

  const original = (await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-api' })).spec!.template
    .spec!.containers[0]!.image!;
  await kubectl(['set', 'image', '-n', ns, 'deployment/acme-api', `api=registry.example.com/hijacked:1`]);
  const restored = await waitFor('image restored', async () => {
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'acme-api' });
    const image = d.spec!.template.spec!.containers[0]!.image;
    return image === original && image;
  });
  t.is(restored, original);

  // A deleted auth Secret comes back too, with fresh values: the old ones are gone with it.
  await core.deleteNamespacedSecret({ namespace: ns, name: authSecretName('acme') });
  const recreated = await waitFor('auth Secret recreated', async () => {
    const s = await readSecret(authSecretName('acme'));
    return s.metadata?.resourceVersion !== auth.resourceVersion && s;
  });
  t.not(decoded(recreated.data)[AUTH_SECRET_KEYS.jwtSecret], decoded(auth.data)[AUTH_SECRET_KEYS.jwtSecret]);
  // The event follows the create: wait for it rather than race it.
  const createdEvents = await waitFor('a second AuthSecretCreated event', async () => {
    const n = (await eventReasons('acme')).filter((r) => r === 'AuthSecretCreated').length;
    return n >= 2 && n;
  });
  t.is(createdEvents, 2);
});

test.serial('an optional component removed from the spec is pruned', async (t) => {
  await patchSpec(ns, 'acme', {
    llm: {
      provider: 'self-hosted',
      bedrock: null,
      selfHosted: {
        runtime: 'vllm',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        instanceType: 'g5.2xlarge',
        capacity: 'spot',
      },
    },
  });
  const withLlm = await waitFor('LLM objects', async () => {
    const kids = await children('acme');
    return kids.includes('Deployment/acme-llm') && kids.includes('Service/acme-llm') && kids;
  });
  t.true(withLlm.includes('NetworkPolicy/acme-llm'));
  await patchSpec(ns, 'acme', { llm: { provider: 'bedrock', selfHosted: null, bedrock: spec.llm.bedrock } });
  const after = await waitFor('LLM objects pruned', async () => {
    const kids = await children('acme');
    return !kids.some((k) => k.includes('-llm')) && kids;
  });
  t.true(after.includes('Deployment/acme-api'), 'only the LLM objects went');
  t.true((await eventReasons('acme')).includes('Pruned'));
});

test.serial(
  'a spec that passes admission but cannot be built is Degraded with a clear message, no crash',
  async (t) => {
    // The demo profile's ml.autoscaling.max is below this min; only the resolved spec shows the conflict.
    await createPlatform(ns, 'broken', { profile: 'demo', ml: { autoscaling: { min: 50 } } });
    const p = await waitFor('Degraded', async () => {
      const p = await getPlatform(ns, 'broken');
      return p?.status?.phase === 'Degraded' && p;
    });
    const degraded = condition(p, 'Degraded')!;
    t.is(degraded.reason, 'InvalidSpec');
    t.regex(degraded.message, /ml\.autoscaling\.min \(50\) exceeds ml\.autoscaling\.max/);
    t.deepEqual(await children('broken'), [], 'nothing is built from an invalid spec');
    t.true(
      await waitFor(
        'warning event',
        async () => (await eventReasons('broken')).includes('InvalidSpec') || undefined,
      ),
    );
    await patchSpec(ns, 'broken', { ml: { autoscaling: { min: 1 } } });
    const fixed = await waitFor('recovered', async () => {
      const p = await getPlatform(ns, 'broken');
      return p?.status?.phase === 'Progressing' && p;
    });
    t.is(condition(fixed, 'Degraded')?.status, 'False');
    await deletePlatform(ns, 'broken');
  },
);

test.serial('delete → finalizer drops the tenant data, then the object and its children go', async (t) => {
  const id = tenantIdentity(ns, 'acme');
  await deletePlatform(ns, 'acme');
  await waitFor('platform gone', async () => (await getPlatform(ns, 'acme')) === undefined, 60_000);
  t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: false, database: false });
  t.false(await redisTenantExists(env.REDIS_URL, id.id));
  const left = await waitFor(
    'children garbage-collected',
    async () => {
      const kids = await children('acme');
      return kids.length === 0 && kids;
    },
    60_000,
  );
  t.deepEqual(left, []);
});

test.serial('retainOnDelete keeps the tenant data', async (t) => {
  await createPlatform(ns, 'keep', { profile: 'demo', data: { retainOnDelete: true } });
  await waitFor(
    'provisioned',
    async () => condition(await getPlatform(ns, 'keep'), 'DataServicesReady')?.status === 'True',
  );
  await deletePlatform(ns, 'keep');
  await waitFor('platform gone', async () => (await getPlatform(ns, 'keep')) === undefined, 60_000);
  const id = tenantIdentity(ns, 'keep');
  t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: true, database: true });
  t.true(await redisTenantExists(env.REDIS_URL, id.id));
  // Retained for a later platform of the same namespace and name (a new uid): it takes the data over, and
  // deleting that one without retainOnDelete drops it.
  await createPlatform(ns, 'keep', { profile: 'demo', data: { retainOnDelete: false } });
  await waitFor(
    'the retained data adopted',
    async () => condition(await getPlatform(ns, 'keep'), 'DataServicesReady')?.status === 'True',
  );
  await deletePlatform(ns, 'keep');
  await waitFor('platform gone', async () => (await getPlatform(ns, 'keep')) === undefined, 60_000);
  t.deepEqual(await postgresTenantExists(env.DATABASE_URL, id.id), { role: false, database: false });
  t.false(await redisTenantExists(env.REDIS_URL, id.id));
});
