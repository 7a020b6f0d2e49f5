// Placement across the seam: every pod the operator's synth emits, for every profile and every example,
// must fit a node group or the Fargate profile that the CDK app of the matching environment creates
// (read from the synthesized CloudFormation), or it would stay Pending on AWS forever.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EKS_CAPACITY_TYPE_LABEL,
  GPU_NODE_INSTANCE_TYPES,
  PROFILES,
  type Profile,
  type SentimentPlatform,
} from '@sentiment/crds';
import { synthesize as synthPlatform } from '@sentiment/operator';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { resourcesOfType, synthesize } from './support.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';

interface Capacity {
  name: string;
  /** Every value a node of this capacity can have per label (a group has several instance types). */
  labels: Record<string, string[]>;
  taints: { key: string; value?: string; effect: string }[];
}

interface FargateSelector {
  namespace: string;
  labels: Record<string, string>;
}

interface Pod {
  owner: string;
  namespace: string;
  labels: Record<string, string>;
  required: { key: string; operator: string; values: string[] }[][];
  tolerations: { key?: string; operator?: string; value?: string; effect?: string }[];
}

const EFFECT: Record<string, string> = {
  NO_SCHEDULE: 'NoSchedule',
  NO_EXECUTE: 'NoExecute',
  PREFER_NO_SCHEDULE: 'PreferNoSchedule',
};

function capacities(env: Profile): { groups: Capacity[]; fargate: FargateSelector[] } {
  const s = synthesize(env);
  const template = s.template(s.stacks.cluster);
  const groups = resourcesOfType(template, 'AWS::EKS::Nodegroup').map(({ Properties: p = {} }) => {
    const labels = p.Labels as Record<string, string>;
    return {
      name: `${labels['sentiment.analytics.dev/node-pool']}/${p.CapacityType as string}`,
      labels: {
        ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, [v]])),
        [EKS_CAPACITY_TYPE_LABEL]: [p.CapacityType as string],
        [INSTANCE_TYPE_LABEL]: p.InstanceTypes as string[],
      },
      taints: ((p.Taints ?? []) as { Key: string; Value?: string; Effect: string }[]).map((x) => ({
        key: x.Key,
        value: x.Value,
        effect: EFFECT[x.Effect] ?? x.Effect,
      })),
    };
  });
  const fargate = resourcesOfType(template, 'Custom::AWSCDK-EKS-FargateProfile').flatMap(
    ({ Properties: p = {} }) => (p.Config as { selectors: FargateSelector[] }).selectors,
  );
  return { groups, fargate };
}

function podsOf(platform: Pick<SentimentPlatform, 'metadata' | 'spec'>): Pod[] {
  type Template = {
    metadata: { labels: Record<string, string> };
    spec: {
      affinity?: {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: {
            nodeSelectorTerms: { matchExpressions: Pod['required'][number] }[];
          };
        };
      };
      nodeSelector?: Record<string, string>;
      tolerations?: Pod['tolerations'];
    };
  };
  return synthPlatform(platform)
    .objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => {
      const t = (o as unknown as { spec: { template: Template } }).spec.template;
      const terms =
        t.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ??
        [];
      const selector = Object.entries(t.spec.nodeSelector ?? {}).map(([key, v]) => ({
        key,
        operator: 'In',
        values: [v],
      }));
      return {
        owner: `${o.kind}/${o.metadata.name}`,
        namespace: o.metadata.namespace!,
        labels: t.metadata.labels,
        // Terms are ORed; a nodeSelector is ANDed into each of them.
        required: terms.length
          ? terms.map((term) => [...term.matchExpressions, ...selector])
          : selector.length
            ? [selector]
            : [],
        tolerations: t.spec.tolerations ?? [],
      };
    });
}

const tolerates = (pod: Pod, taint: Capacity['taints'][number]) =>
  pod.tolerations.some(
    (t) =>
      (t.key === undefined || t.key === taint.key) &&
      (t.operator === 'Exists' || t.value === taint.value) &&
      (t.effect === undefined || t.effect === taint.effect),
  );

/** Where the pod can run: the groups whose nodes meet its required affinity and whose taints it tolerates. */
function placements(pod: Pod, env: ReturnType<typeof capacities>): string[] {
  const fargate = env.fargate.some(
    (s) =>
      pod.required.length === 0 &&
      new RegExp(`^${s.namespace.replace(/\*/g, '.*')}$`).test(pod.namespace) &&
      Object.entries(s.labels).every(([k, v]) => pod.labels[k] === v),
  );
  const groups = env.groups.filter(
    (g) =>
      g.taints.every((taint) => tolerates(pod, taint)) &&
      (pod.required.length === 0 ||
        pod.required.some((term) =>
          term.every((e) => e.operator === 'In' && e.values.some((v) => g.labels[e.key]?.includes(v))),
        )),
  );
  // EKS hands a pod its Fargate profile selects to the Fargate scheduler: it runs there and nowhere else.
  return fargate ? ['fargate'] : groups.map((g) => g.name);
}

/** The environment each example is written for: one cluster runs every tenant in a file. */
const EXAMPLE_ENVIRONMENT: Record<string, Profile> = {
  'demo.yaml': 'demo',
  'production.yaml': 'production',
  'ultra-low-cost.yaml': 'ultra-low-cost',
  'self-hosted-llm.yaml': 'demo',
  // Tenants of every profile, one with a self-hosted LLM: the environment with every kind of capacity.
  'multi-tenant.yaml': 'production',
};

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(`${EXAMPLES}${f}`, 'utf8'))
      .map((d) => d.toJS() as SentimentPlatform)
      .filter((p) => p?.kind === 'SentimentPlatform')
      .map((p) => ({ source: `examples/${f}`, env: EXAMPLE_ENVIRONMENT[f], platform: p })),
  );

test('every example names the environment it is written for', (t) => {
  t.deepEqual(
    examples.filter((e) => e.env === undefined).map((e) => e.source),
    [],
  );
});

for (const env of PROFILES) {
  test(`${env} environment: every pod of the ${env} profile and of the examples for it has a place`, (t) => {
    const capacity = capacities(env);
    const selfHosted = {
      provider: 'self-hosted' as const,
      selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: GPU_NODE_INSTANCE_TYPES[0] },
    };
    const hasGpus = capacity.groups.some((g) => g.name.startsWith('gpu/'));
    const cases = [
      {
        source: `profile ${env}`,
        platform: { metadata: { name: 'p', namespace: 'tenant-p' }, spec: { profile: env } },
      },
      // The self-hosted LLM where this environment has GPU nodes for it.
      ...(hasGpus
        ? [
            {
              source: `profile ${env} + self-hosted LLM`,
              platform: {
                metadata: { name: 'l', namespace: 'tenant-l' },
                spec: { profile: env, llm: selfHosted },
              },
            },
          ]
        : []),
      ...examples.filter((e) => e.env === env),
    ];
    t.true(cases.length >= 2);
    const homeless: string[] = [];
    for (const c of cases) {
      for (const pod of podsOf(c.platform)) {
        const where = placements(pod, capacity);
        t.log(`${c.source}: ${pod.owner} → ${where.join(' | ') || 'NOWHERE'}`);
        if (where.length === 0) homeless.push(`${c.source}: ${pod.owner}`);
        // Tenants never share the controllers' on-demand nodes.
        t.false(
          where.some((w) => w.startsWith('system/')),
          `${c.source}: ${pod.owner} may land on the system group`,
        );
      }
    }
    t.deepEqual(homeless, [], 'pods that no node group or Fargate profile of this environment can run');
  });
}
