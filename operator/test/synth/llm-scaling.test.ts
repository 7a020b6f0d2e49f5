// A self-hosted LLM's replicas on demand (llm.selfHosted.autoscaling): a KEDA ScaledObject on Prometheus
// where the cluster serves KEDA and the operator knows the Prometheus API, a fixed count elsewhere; the
// servers' metrics scraped by the tenant's ServiceMonitor; the quota admits the ceiling, the cost the floor.
import test from 'ava';
import { resolveSpec, type SentimentPlatformSpec } from '@sentiment/crds';
import { costReport } from '../../src/cost/index.js';
import { synthesize, type SynthOptions } from '../../src/synth/index.js';
import { container, find, has, type Json } from './helpers.js';

const PROMETHEUS = 'http://prometheus-operated.monitoring:9090';
const KEDA: SynthOptions = { keda: true, prometheusUrl: PROMETHEUS };
const spec = (autoscaling: Record<string, unknown>, runtime = 'vllm'): SentimentPlatformSpec =>
  ({
    llm: {
      provider: 'self-hosted',
      selfHosted: {
        runtime,
        model: runtime === 'vllm' ? 'meta-llama/Llama-3.1-8B-Instruct' : 'org/Model-GGUF:Q4_K_M',
        autoscaling,
      },
    },
  }) as SentimentPlatformSpec;
const render = (s: SentimentPlatformSpec, options: SynthOptions = KEDA) =>
  synthesize({ metadata: { name: 'acme', namespace: 'tenant-acme' }, spec: s }, options).objects;

test('KEDA and Prometheus: a ScaledObject with the questions and the waiting requests as triggers; no replica count', (t) => {
  const objects = render(spec({ enabled: true, min: 0, max: 3, targetWaitingRequests: 5, idleMinutes: 20 }));
  const so = find(objects, 'ScaledObject', 'acme-llm');
  t.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'acme-llm' });
  t.like(so.spec, { minReplicaCount: 0, maxReplicaCount: 3, cooldownPeriod: 1200 });
  t.deepEqual(so.spec.triggers, [
    {
      type: 'prometheus',
      name: 'questions',
      metadata: {
        serverAddress: PROMETHEUS,
        query: 'sum(increase(sentiment_api_ask_total{namespace="tenant-acme",service="acme-api"}[20m]))',
        threshold: '1000000',
        activationThreshold: '0',
      },
    },
    {
      type: 'prometheus',
      name: 'waiting',
      metadata: {
        serverAddress: PROMETHEUS,
        query: 'sum(vllm:num_requests_waiting{namespace="tenant-acme",service="acme-llm"})',
        threshold: '5',
        activationThreshold: '0',
      },
    },
  ]);
  t.is(find(objects, 'Deployment', 'acme-llm').spec.replicas, undefined, 'KEDA owns the count');
  // The quota admits the ceiling: three servers of one GPU each.
  t.is(find(objects, 'ResourceQuota', 'acme-quota').spec.hard['requests.nvidia.com/gpu'], '3');
});

test('llama.cpp: its deferred-requests gauge, served with --metrics', (t) => {
  const objects = render(spec({ enabled: true }, 'llama-cpp'));
  const waiting = (find(objects, 'ScaledObject', 'acme-llm').spec.triggers as Json[])[1]!;
  t.is(waiting.metadata.query, 'sum(llamacpp:requests_deferred{namespace="tenant-acme",service="acme-llm"})');
  t.true((container(find(objects, 'Deployment', 'acme-llm')).args as string[]).includes('--metrics'));
});

test('without KEDA or without the Prometheus API, or hibernated: no ScaledObject, a fixed count', (t) => {
  const s = spec({ enabled: true, min: 0, max: 3 });
  for (const options of [{ prometheusUrl: PROMETHEUS }, { keda: true }]) {
    const objects = render(s, options);
    t.false(has(objects, 'ScaledObject', 'acme-llm'));
    t.is(find(objects, 'Deployment', 'acme-llm').spec.replicas, 1, 'max(min, 1): a question gets a server');
  }
  const asleep = render({ ...s, hibernate: true });
  t.false(has(asleep, 'ScaledObject', 'acme-llm'), 'KEDA would wake it');
  t.is(find(asleep, 'Deployment', 'acme-llm').spec.replicas, 0);
  const fixed = render(spec({ enabled: false }));
  t.false(has(fixed, 'ScaledObject', 'acme-llm'));
  t.is(find(fixed, 'Deployment', 'acme-llm').spec.replicas, 1, "the profile's replicas");
});

test("the servers' metrics are scraped, and Prometheus may reach their port", (t) => {
  const objects = render(spec({ enabled: true }), {
    ...KEDA,
    monitoring: { prometheusNamespace: 'monitoring' },
  });
  const sm = find(objects, 'ServiceMonitor', 'acme');
  t.true((sm.spec.selector.matchExpressions[0].values as string[]).includes('llm'));
  const policy = find(objects, 'NetworkPolicy', 'acme-allow-metrics');
  t.true((policy.spec.podSelector.matchExpressions[0].values as string[]).includes('llm'));
  t.true(
    (policy.spec.ingress[0].ports as Json[]).some((p) => p.port === 8000),
    "vLLM's port",
  );
});

test('defaults: one server kept, two at most; a min above the default max raises it', (t) => {
  const a = (s: SentimentPlatformSpec) => {
    const r = resolveSpec(s).llm;
    return r.provider === 'self-hosted' ? r.selfHosted.autoscaling : undefined;
  };
  t.deepEqual(a(spec({ enabled: true })), {
    enabled: true,
    min: 1,
    max: 2,
    targetWaitingRequests: 4,
    idleMinutes: 30,
  });
  t.like(a(spec({ enabled: true, min: 5 })), { min: 5, max: 5 });
});

test('cost: the floor is priced (nothing with min 0), the ceiling named', (t) => {
  const gpu = (s: SentimentPlatformSpec) =>
    costReport(resolveSpec(s)).lines.find((l) => l.component === 'llm' && l.item === 'gpu')!;
  t.is(gpu(spec({ enabled: true, min: 0, max: 3 })).monthly, 0);
  t.regex(gpu(spec({ enabled: true, min: 0, max: 3 })).basis, /up to 3 while questions queue/);
  const one = gpu(spec({ enabled: true, min: 1, max: 3 })).monthly;
  t.true(one > 0);
  t.is(gpu(spec({ enabled: false })).monthly, one, 'one fixed replica costs what a floor of one does');
});
