// The tenant's fence: a ResourceQuota sized from the resolved spec (so a runaway autoscaler or a
// hand-made pod cannot take more than the platform was costed for; sized awake even while hibernated, so
// that waking is never held back by a quota applied a moment after the Deployments) and a LimitRange that gives
// requests to containers that lack them (a quota on requests rejects such pods otherwise).
import * as kplus from 'cdk8s-plus-28';
import { GPU_RESOURCE, llmReplicaRange, peakPods, type ResolvedSpec } from '@sentiment/crds';
import type { Chart } from 'cdk8s';
import { objectLabels } from './labels.js';
import type { LlmFootprint } from './llm.js';
import { cpuQuantity, memoryQuantity, parseQuantity } from './quantity.js';

const q = (s: string) => kplus.k8s.Quantity.fromString(s);

export function tenantLimits(
  spec: ResolvedSpec,
  chart: Chart,
  name: string,
  llmPod: LlmFootprint | undefined,
): void {
  const { api, worker, ml } = spec;
  let pods = 0;
  let cpu = 0;
  let memory = 0;
  for (const c of [api, worker, ml]) {
    const n = peakPods(c);
    pods += n;
    cpu += n * parseQuantity(c.resources.requests.cpu);
    memory += n * parseQuantity(c.resources.requests.memory);
  }
  const hard: Record<string, kplus.k8s.Quantity> = {};
  if (llmPod && spec.llm.provider === 'self-hosted') {
    const n = llmReplicaRange(spec.llm.selfHosted).max;
    pods += n;
    cpu += n * llmPod.cpu;
    memory += n * llmPod.memory;
    hard[`requests.${GPU_RESOURCE}`] = q(String(n * llmPod.gpus));
    if (llmPod.seed) {
      pods += 1;
      cpu += llmPod.seed.cpu;
      memory += llmPod.seed.memory;
    }
  }
  Object.assign(hard, {
    pods: q(String(pods)),
    'requests.cpu': q(cpuQuantity(cpu)),
    'requests.memory': q(memoryQuantity(memory)),
  });
  new kplus.k8s.KubeResourceQuota(chart, 'quota', {
    metadata: { name: `${name}-quota`, labels: objectLabels(name, 'platform') },
    spec: { hard },
  });
  new kplus.k8s.KubeLimitRange(chart, 'limits', {
    metadata: { name: `${name}-limits`, labels: objectLabels(name, 'platform') },
    // Only default requests: a default limit would also cap the platform's own containers that
    // deliberately run without a CPU limit.
    spec: { limits: [{ type: 'Container', defaultRequest: { cpu: q('100m'), memory: q('128Mi') } }] },
  });
}
