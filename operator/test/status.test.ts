import test from 'ava';
import { resolveSpec, type SentimentPlatform } from '@sentiment/crds';
import type { KubernetesObject } from '@kubernetes/client-node';
import { computeStatus } from '../src/reconcile/status.js';
import { findCondition } from '../src/reconcile/conditions.js';

const platform: SentimentPlatform = {
  apiVersion: 'sentiment.analytics.dev/v1alpha1',
  kind: 'SentimentPlatform',
  metadata: { name: 'acme', namespace: 'tenant-acme', generation: 3, uid: 'u1' },
  spec: { profile: 'demo' },
};
const resolved = resolveSpec(platform.spec);
const now = new Date('2026-11-25T00:00:00Z');

function deployment(replicas: number, ready: number, observed = 1): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { generation: 1 },
    spec: { replicas },
    status: { observedGeneration: observed, readyReplicas: ready },
  } as KubernetesObject;
}

const allReady = { api: deployment(2, 2), worker: deployment(1, 1), ml: deployment(1, 1) };

test('all components ready and data provisioned → Ready', (t) => {
  const s = computeStatus({ platform, resolved, dataServicesReady: true, workloads: allReady, now });
  t.is(s.phase, 'Ready');
  t.is(s.observedGeneration, 3);
  t.is(findCondition(s.conditions, 'Ready')?.status, 'True');
  t.is(findCondition(s.conditions, 'Progressing')?.status, 'False');
  t.is(findCondition(s.conditions, 'Degraded')?.status, 'False');
  t.deepEqual(s.components?.api, { ready: true, desired: 2, readyReplicas: 2 });
  t.is(s.profile, 'demo');
  t.regex(s.llm ?? '', /^bedrock:|^none$/, 'the LLM column of kubectl get sp');
  t.true(s.conditions!.every((c) => c.observedGeneration === 3));
});

test('a component short of replicas, or not yet observed, keeps the platform Progressing and says which', (t) => {
  const s = computeStatus({
    platform,
    resolved,
    dataServicesReady: true,
    workloads: { ...allReady, api: deployment(2, 1), ml: deployment(1, 1, 0) },
    now,
  });
  t.is(s.phase, 'Progressing');
  const ready = findCondition(s.conditions, 'Ready')!;
  t.is(ready.status, 'False');
  t.regex(ready.message, /api, ml/);
  t.is(findCondition(s.conditions, 'ApiReady')?.message, '1/2 replicas ready');
});

test("an autoscaled component counts as ready only at its autoscaler's minimum, before the HPA has raised the Deployment", (t) => {
  const spec = { profile: 'demo' as const, api: { autoscaling: { min: 2, max: 3 } } };
  const at = (api: KubernetesObject) =>
    computeStatus({
      platform: { ...platform, spec },
      resolved: resolveSpec(spec),
      dataServicesReady: true,
      workloads: { ...allReady, api },
      now,
    });
  // A new Deployment of an autoscaled component has no replicas field: one pod until the HPA's first sync.
  const fresh = at(deployment(1, 1));
  t.is(fresh.phase, 'Progressing');
  t.deepEqual(fresh.components?.api, { ready: false, desired: 2, readyReplicas: 1 });
  t.is(at(deployment(2, 2)).phase, 'Ready');
  t.deepEqual(
    at(deployment(3, 3)).components?.api,
    { ready: true, desired: 3, readyReplicas: 3 },
    'scaled above the minimum',
  );
});

test('an invalid spec is Degraded with the reason and message', (t) => {
  const s = computeStatus({
    platform,
    problem: { reason: 'InvalidSpec', message: 'llm.bedrock.modelId is required' },
    workloads: {},
    now,
  });
  t.is(s.phase, 'Degraded');
  const degraded = findCondition(s.conditions, 'Degraded')!;
  t.is(degraded.status, 'True');
  t.is(degraded.reason, 'InvalidSpec');
  t.is(degraded.message, 'llm.bedrock.modelId is required');
  t.is(findCondition(s.conditions, 'Ready')?.reason, 'InvalidSpec');
});

test('a reconcile that does not reach provisioning keeps the tenancy the status recorded (the naming of the slices depends on it)', (t) => {
  const tenancy = { database: 't_tenant_acme_acme_0123456789abcdef', dataSecretName: 'acme-data' };
  const s = computeStatus({
    platform: { ...platform, status: { tenancy } },
    problem: { reason: 'InvalidSpec', message: 'llm.bedrock.modelId is required' },
    workloads: {},
    now,
  });
  t.deepEqual(s.tenancy, tenancy);
  const provisioned = { database: 't_0123456789abcdef0123456789abcdef' };
  t.deepEqual(
    computeStatus({
      platform: { ...platform, status: { tenancy } },
      tenancy: provisioned,
      workloads: {},
      now,
    }).tenancy,
    provisioned,
    'what provisioning returns replaces it',
  );
});

test('lastTransitionTime moves only when a condition flips', (t) => {
  const first = computeStatus({ platform, resolved, dataServicesReady: true, workloads: allReady, now });
  const later = new Date(now.getTime() + 60_000);
  const again = computeStatus({
    platform: { ...platform, status: first },
    resolved,
    dataServicesReady: true,
    workloads: { ...allReady, worker: deployment(1, 0) },
    now: later,
  });
  t.is(findCondition(again.conditions, 'ApiReady')?.lastTransitionTime, now.toISOString());
  t.is(findCondition(again.conditions, 'WorkerReady')?.lastTransitionTime, later.toISOString());
  t.is(findCondition(again.conditions, 'Ready')?.lastTransitionTime, later.toISOString());
});

test('a self-hosted LLM is one more component to wait for', (t) => {
  const selfHosted = resolveSpec({
    profile: 'demo',
    llm: {
      provider: 'self-hosted',
      selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct', capacity: 'spot' },
    },
  });
  const s = computeStatus({
    platform,
    resolved: selfHosted,
    dataServicesReady: true,
    workloads: allReady,
    now,
  });
  t.is(s.phase, 'Progressing');
  t.is(findCondition(s.conditions, 'LlmReady')?.reason, 'NotCreated');
});

test('hibernating: Progressing while pods are left, Hibernated once every workload is at zero, never Ready', (t) => {
  const asleep = resolveSpec({ profile: 'demo', hibernate: true });
  const at = (pods: number, observed = 2): KubernetesObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { generation: 2 },
      spec: { replicas: 0 },
      status: { observedGeneration: observed, replicas: pods, readyReplicas: pods },
    }) as KubernetesObject;
  const status = (workloads: Record<string, KubernetesObject>) =>
    computeStatus({ platform, resolved: asleep, dataServicesReady: true, workloads, now });

  const going = status({ api: at(1), worker: at(0), ml: at(0, 1) });
  t.is(going.phase, 'Progressing');
  t.regex(findCondition(going.conditions, 'Progressing')!.message, /^scaling to zero: api, ml$/);
  t.is(findCondition(going.conditions, 'ApiReady')?.reason, 'ScalingToZero');

  const gone = status({ api: at(0), worker: at(0), ml: at(0) });
  t.is(gone.phase, 'Hibernated');
  t.like(findCondition(gone.conditions, 'Ready'), { status: 'False', reason: 'Hibernated' });
  t.is(findCondition(gone.conditions, 'Progressing')?.status, 'False');
  t.is(findCondition(gone.conditions, 'Degraded')?.status, 'False');
  t.like(findCondition(gone.conditions, 'WorkerReady'), { status: 'False', reason: 'Hibernated' });
  t.deepEqual(gone.components?.api, { ready: true, desired: 0, readyReplicas: 0 });

  // The Deployments as they were before the scale-down was applied: still awake, not hibernated.
  t.is(status(allReady).phase, 'Progressing');
});

test('paused: a Paused condition, Progressing False; readiness still read from the workloads', (t) => {
  const paused = { ...platform, spec: { profile: 'demo' as const, paused: true } };
  const s = computeStatus({
    platform: paused,
    resolved,
    paused: true,
    dataServicesReady: true,
    workloads: { ...allReady, api: deployment(2, 1) },
    now,
  });
  t.like(findCondition(s.conditions, 'Paused'), { status: 'True', reason: 'SpecPaused' });
  t.like(findCondition(s.conditions, 'Progressing'), { status: 'False', reason: 'Paused' });
  t.regex(findCondition(s.conditions, 'Progressing')!.message, /^paused; not ready: api$/);
  t.is(s.phase, 'Progressing');
  const resumed = computeStatus({ platform, resolved, dataServicesReady: true, workloads: allReady, now });
  t.is(findCondition(resumed.conditions, 'Paused'), undefined);
});

test('a restore: Progressing (Restoring) while its Job runs with the workloads at zero, then Succeeded once for good; a failed one is Degraded', (t) => {
  const spec = { profile: 'demo' as const, restore: { backup: 'latest' } };
  const p = { ...platform, spec };
  const r = resolveSpec(spec);
  const zero = { api: deployment(0, 0), worker: deployment(0, 0), ml: deployment(0, 0) };
  for (const w of Object.values(zero))
    (w as { status: object }).status = { observedGeneration: 1, replicas: 0 };
  const job = (conditions: object[] = []) =>
    ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      status: { startTime: '2026-11-24T23:00:00Z', conditions },
    }) as KubernetesObject;

  const running = computeStatus({
    platform: p,
    resolved: r,
    dataServicesReady: true,
    workloads: zero,
    restoreJob: job(),
    now,
  });
  t.is(running.phase, 'Progressing');
  t.is(running.restore?.phase, 'Running');
  t.is(running.restore?.startedAt, '2026-11-24T23:00:00Z');
  t.is(findCondition(running.conditions, 'Ready')?.reason, 'Restoring');
  t.is(findCondition(running.conditions, 'ApiReady')?.message, 'scaled to zero (restoring the database)');

  const complete = job([{ type: 'Complete', status: 'True', lastTransitionTime: '2026-11-24T23:05:00Z' }]);
  const done = computeStatus({
    platform: { ...p, status: running },
    resolved: r,
    dataServicesReady: true,
    workloads: zero,
    restoreJob: complete,
    now,
  });
  t.is(done.restore?.phase, 'Succeeded');
  t.is(done.restore?.completedAt, '2026-11-24T23:05:00Z');
  t.is(findCondition(done.conditions, 'Restored')?.status, 'True');
  t.is(done.phase, 'Progressing', 'the workloads come back next');
  // Final: the Job gone (pruned, deleted by hand) does not start it again.
  const later = computeStatus({
    platform: { ...p, status: done },
    resolved: r,
    dataServicesReady: true,
    workloads: allReady,
    now,
  });
  t.is(later.restore?.phase, 'Succeeded');
  t.is(later.phase, 'Ready');

  const failed = computeStatus({
    platform: { ...p, status: running },
    resolved: r,
    dataServicesReady: true,
    workloads: zero,
    restoreJob: job([
      {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
    ]),
    now,
  });
  t.is(failed.phase, 'Degraded');
  t.is(failed.restore?.phase, 'Failed');
  const degraded = findCondition(failed.conditions, 'Degraded')!;
  t.is(degraded.reason, 'RestoreFailed');
  t.regex(degraded.message, /kubectl logs job\/acme-restore-[0-9a-f]{8} --all-containers/);
});

test('a Deployment still at zero after hibernation or a restore ends is not ready: the spec says how many must be', (t) => {
  const zero = deployment(0, 0);
  const s = computeStatus({
    platform,
    resolved,
    dataServicesReady: true,
    workloads: { ...allReady, worker: zero },
    now,
  });
  t.is(s.phase, 'Progressing');
  t.is(findCondition(s.conditions, 'WorkerReady')?.message, `0/${resolved.worker.replicas} replicas ready`);
});

test('the model cache seed: ModelCached False while its Job runs or after it failed (with the log command), True once it succeeded', (t) => {
  const modelSeed = {
    job: 'acme-model-seed-0123abcd',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    location: 's3://models/models/vllm/meta-llama/Llama-3.1-8B-Instruct/',
  };
  const job = (status: Record<string, unknown>) =>
    ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: modelSeed.job }, status }) as KubernetesObject;
  const at = (modelSeedJob?: KubernetesObject) =>
    findCondition(
      computeStatus({
        platform,
        resolved,
        dataServicesReady: true,
        workloads: allReady,
        modelSeed,
        ...(modelSeedJob && { modelSeedJob }),
        now,
      }).conditions,
      'ModelCached',
    );
  for (const seeding of [at(), at(job({ active: 1 }))]) {
    t.like(seeding, { status: 'False', reason: 'Seeding' });
    t.regex(
      seeding!.message,
      /Job acme-model-seed-0123abcd copies meta-llama\/Llama-3.1-8B-Instruct from the Hugging Face Hub into s3:\/\/models\//,
    );
    t.regex(seeding!.message, /kubectl logs -n tenant-acme job\/acme-model-seed-0123abcd/);
  }
  const failed = at(
    job({
      failed: 5,
      conditions: [
        { type: 'Failed', status: 'True', message: 'Job has reached the specified backoff limit' },
      ],
    }),
  );
  t.like(failed, { status: 'False', reason: 'SeedFailed' });
  t.regex(failed!.message, /failed \(Job has reached the specified backoff limit\); its log: kubectl logs/);
  t.like(at(job({ succeeded: 1 })), {
    status: 'True',
    reason: 'Seeded',
    message:
      'meta-llama/Llama-3.1-8B-Instruct is in s3://models/models/vllm/meta-llama/Llama-3.1-8B-Instruct/',
  });
  // Without a cache there is no such condition.
  t.is(
    findCondition(
      computeStatus({ platform, resolved, dataServicesReady: true, workloads: allReady, now }).conditions,
      'ModelCached',
    ),
    undefined,
  );
});
