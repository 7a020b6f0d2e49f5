// Small lookups over rendered objects, so assertions read as what they check.
import type { SentimentPlatformSpec } from '@sentiment/crds';
import { synthesize, type KubeObject } from '../../src/synth/index.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered JSON, asserted on by shape

export function render(spec: unknown, name = 'acme', namespace = 'tenant-acme'): KubeObject[] {
  return synthesize({ metadata: { name, namespace }, spec: spec as SentimentPlatformSpec }).objects;
}

export function find(objects: KubeObject[], kind: string, name: string): Json {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o)
    throw new Error(`no ${kind}/${name} in ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o as Json;
}

export const has = (objects: KubeObject[], kind: string, name: string): boolean =>
  objects.some((x) => x.kind === kind && x.metadata.name === name);

export const deployments = (objects: KubeObject[]): Json[] =>
  objects.filter((o) => o.kind === 'Deployment') as Json[];

/** The first container of a Deployment's pod template. */
export const container = (deployment: Json): Json => deployment.spec.template.spec.containers[0];

export function envOf(c: Json, name: string): Json | undefined {
  return (c.env as Json[] | undefined)?.find((e) => e.name === name);
}

/** matchExpressions of the required node affinity, as {key: values}. */
export function requiredNodeLabels(deployment: Json): Record<string, string[]> {
  const terms =
    deployment.spec.template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  if (terms.length > 1) throw new Error('several node selector terms are ORed: placement would be loose');
  return Object.fromEntries(((terms[0]?.matchExpressions ?? []) as Json[]).map((e) => [e.key, e.values]));
}
