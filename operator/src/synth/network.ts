// NetworkPolicies: everything of the platform is denied by default, then each component gets exactly
// the flows the platform needs. Written as plain NetworkPolicy objects rather than cdk8s-plus'
// connection API, which derives one generated policy per connection; fixed names keep pruning simple.
import * as kplus from 'cdk8s-plus-28';
import { HTTP_PORT, LABELS } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels, selectorLabels, type Component } from './labels.js';
import { LLM_PORTS } from './llm.js';

type Rule = kplus.k8s.NetworkPolicyIngressRule & kplus.k8s.NetworkPolicyEgressRule;
type Peer = kplus.k8s.NetworkPolicyPeer;

const tcp = (...ports: number[]): kplus.k8s.NetworkPolicyPort[] =>
  ports.map((port) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) }));

// The managed data services, Bedrock, STS and Hugging Face live outside the cluster at addresses we
// cannot know; instance metadata is excluded so a pod cannot borrow the node's IAM role.
const OUTSIDE: Peer = { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } };

function policy(
  ctx: SynthContext,
  id: string,
  component: Component,
  spec: kplus.k8s.NetworkPolicySpec,
): void {
  new kplus.k8s.KubeNetworkPolicy(ctx.chart, `netpol-${id}`, {
    metadata: { name: `${ctx.name}-${id}`, labels: objectLabels(ctx.name, component) },
    spec,
  });
}

const pods = (ctx: SynthContext, component: Component): Peer => ({
  podSelector: { matchLabels: selectorLabels(ctx.name, component) },
});
const selecting = (ctx: SynthContext, component: Component) => ({
  matchLabels: selectorLabels(ctx.name, component),
});

/** Ports of the data services: PostgreSQL, Redis, HTTPS (OpenSearch, Bedrock, STS), plus a custom OpenSearch endpoint's. */
function dataPorts(ctx: SynthContext): number[] {
  const ports = [5432, 6379, 443];
  const endpoint = ctx.spec.data.opensearch.endpoint;
  if (endpoint !== undefined) {
    const url = new URL(endpoint);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** `modelSeed`: the platform has a model cache seed Job (model-cache.ts cachedModel). */
export function networkPolicies(ctx: SynthContext, o: { modelSeed?: boolean } = {}): void {
  const all = { matchLabels: { [LABELS.platform]: ctx.name } };
  const selfHosted = ctx.spec.llm.provider === 'self-hosted' ? ctx.spec.llm.selfHosted : undefined;
  policy(ctx, 'default-deny', 'platform', { podSelector: all, policyTypes: ['Ingress', 'Egress'] });
  policy(ctx, 'allow-dns', 'platform', {
    podSelector: all,
    policyTypes: ['Egress'],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: kplus.k8s.IntOrString.fromNumber(53) },
          { protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(53) },
        ],
      },
    ],
  });
  // api and worker talk to the data services and the inference service; the api also to the LLM.
  const backends = (withLlm: boolean): Rule[] => [
    { to: [OUTSIDE], ports: tcp(...dataPorts(ctx)) },
    { to: [pods(ctx, 'ml')], ports: tcp(HTTP_PORT) },
    ...(withLlm && selfHosted ? [{ to: [pods(ctx, 'llm')], ports: tcp(LLM_PORTS[selfHosted.runtime]) }] : []),
  ];
  policy(ctx, 'api', 'api', {
    podSelector: selecting(ctx, 'api'),
    policyTypes: ['Ingress', 'Egress'],
    // The ALB (target-type ip) reaches pods from VPC addresses, not from pods: any source, API port only.
    ingress: [{ ports: tcp(HTTP_PORT) }],
    egress: backends(true),
  });
  policy(ctx, 'worker', 'worker', {
    podSelector: selecting(ctx, 'worker'),
    policyTypes: ['Egress'],
    egress: backends(false),
  });
  policy(ctx, 'ml', 'ml', {
    podSelector: selecting(ctx, 'ml'),
    policyTypes: ['Ingress'],
    ingress: [{ from: [pods(ctx, 'api'), pods(ctx, 'worker')], ports: tcp(HTTP_PORT) }],
  });
  // Backups and restores reach the database and S3 (and a restore's index rebuild OpenSearch); nothing reaches them.
  if (ctx.spec.backup || ctx.spec.restore) {
    for (const component of ['backup', 'restore'] as const) {
      policy(ctx, component, component, {
        podSelector: selecting(ctx, component),
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [OUTSIDE], ports: tcp(...dataPorts(ctx)) }],
      });
    }
  }
  if (selfHosted) {
    policy(ctx, 'llm', 'llm', {
      podSelector: selecting(ctx, 'llm'),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [pods(ctx, 'api')], ports: tcp(LLM_PORTS[selfHosted.runtime]) }],
      // The model download (Hugging Face, or the S3 model cache; HTTPS).
      egress: [{ to: [OUTSIDE], ports: tcp(443) }],
    });
  }
  if (o.modelSeed) {
    // The model cache's seed Job: from the Hub to S3; nothing reaches it.
    policy(ctx, 'model-seed', 'model-seed', {
      podSelector: selecting(ctx, 'model-seed'),
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ to: [OUTSIDE], ports: tcp(443) }],
    });
  }
}
