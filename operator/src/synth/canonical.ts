// The API server stores quantities in canonical form ("1024Mi" reads back as "1Gi", "31000m" as "31")
// and drops empty lists and zero-valued `omitempty` fields. cdk8s writes memory in Mi and keeps
// `externalIPs: []`, `minReadySeconds: 0`, `hostNetwork: false`, so without this pass every read-back
// would differ from what synth wants and the reconcile loop would rewrite objects that have not
// changed. Pure and structural: it only touches known quantity fields, empty arrays and those zeros.
import type { KubeObject } from './index.js';
import { canonicalQuantity } from './quantity.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function canonicalMap(m: unknown): void {
  if (!isObj(m)) return;
  for (const [k, v] of Object.entries(m)) {
    // Numbers too: the GPU count is patched in as a number, the server returns quantities as strings.
    if (typeof v === 'string' || typeof v === 'number') m[k] = canonicalQuantity(String(v));
  }
}

function dropEmptyArrays(v: unknown): void {
  if (Array.isArray(v)) {
    v.forEach(dropEmptyArrays);
  } else if (isObj(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (Array.isArray(child) && child.length === 0) delete v[k];
      else dropEmptyArrays(child);
    }
  }
}

/** The pod template's spec of a workload, and of a CronJob's job template. */
function podSpecOf(obj: KubeObject): Json | undefined {
  const spec =
    obj.kind === 'CronJob' && isObj(obj.spec) ? (obj.spec.jobTemplate as Json | undefined)?.spec : obj.spec;
  if (!isObj(spec)) return undefined;
  const template = spec.template;
  return isObj(template) && isObj(template.spec) ? template.spec : undefined;
}

export function canonicalize(objects: KubeObject[]): KubeObject[] {
  for (const obj of objects) {
    dropEmptyArrays(obj);
    const pod = podSpecOf(obj);
    if (pod) {
      const spec = obj.spec as Json;
      if (spec.minReadySeconds === 0) delete spec.minReadySeconds;
      if (pod.hostNetwork === false) delete pod.hostNetwork;
      for (const c of [
        ...((pod.containers as Json[] | undefined) ?? []),
        ...((pod.initContainers as Json[] | undefined) ?? []),
      ]) {
        if (isObj(c.resources)) {
          canonicalMap(c.resources.requests);
          canonicalMap(c.resources.limits);
        }
      }
      for (const vol of (pod.volumes as Json[] | undefined) ?? []) {
        if (isObj(vol.emptyDir) && typeof vol.emptyDir.sizeLimit === 'string') {
          vol.emptyDir.sizeLimit = canonicalQuantity(vol.emptyDir.sizeLimit);
        }
      }
    }
    if (obj.kind === 'ResourceQuota' && isObj(obj.spec)) canonicalMap(obj.spec.hard);
    if (obj.kind === 'LimitRange' && isObj(obj.spec)) {
      for (const l of (obj.spec.limits as Json[] | undefined) ?? []) {
        for (const field of ['default', 'defaultRequest', 'max', 'min']) canonicalMap(l[field]);
      }
    }
  }
  return objects;
}
