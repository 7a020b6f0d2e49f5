// The operator's template as one digest: what synth makes of a few reference platforms (one per profile and
// LLM provider) under this installation's options and the cluster's capabilities. A new operator version
// that renders anything differently, new default images, a new data CA: each changes it, and the fleet then
// takes the change in a rollout instead of all at once.
import { createHash } from 'node:crypto';
import { resolveSpec, type SentimentPlatform, type SentimentPlatformSpec } from '@sentiment/crds';
import { canonicalJson } from '../reconcile/compare.js';
import type { ClusterCapabilities, Synthesize } from '../reconcile/deps.js';

const REFERENCE_SPECS: SentimentPlatformSpec[] = [
  { profile: 'demo' },
  { profile: 'production', ingress: { host: 'reference.example.com' } },
  {
    profile: 'production',
    llm: { provider: 'bedrock', bedrock: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } },
  },
  {
    profile: 'production',
    llm: { provider: 'self-hosted', selfHosted: { model: 'meta-llama/Llama-3.1-8B-Instruct' } },
  },
];

export function templateRevision(synthesize: Synthesize, capabilities: ClusterCapabilities): string {
  const hash = createHash('sha256');
  for (const [i, spec] of REFERENCE_SPECS.entries()) {
    const platform: SentimentPlatform = {
      apiVersion: 'sentiment.analytics.dev/v1alpha1',
      kind: 'SentimentPlatform',
      metadata: { name: `reference-${i}`, namespace: 'reference', uid: 'reference' },
      spec,
    };
    hash.update(canonicalJson(synthesize(platform, resolveSpec(spec), capabilities)));
  }
  return hash.digest('hex').slice(0, 12);
}
