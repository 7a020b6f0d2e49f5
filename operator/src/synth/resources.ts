// Resolved requests/limits (quantity strings) in cdk8s-plus terms.
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { ResolvedResources } from '@sentiment/crds';
import { parseQuantity } from './quantity.js';

const cpu = (q: string | undefined): kplus.Cpu | undefined =>
  q === undefined ? undefined : kplus.Cpu.millis(Math.round(parseQuantity(q) * 1000));
// Mebibytes: the precision requests are written in; Size keeps the unit, so "1Gi" renders as "1024Mi".
const memory = (q: string | undefined): Size | undefined =>
  q === undefined ? undefined : Size.mebibytes(Math.ceil(parseQuantity(q) / 2 ** 20));

export function containerResources(r: ResolvedResources): kplus.ContainerResources {
  return {
    cpu: { request: cpu(r.requests.cpu), limit: cpu(r.limits.cpu) },
    memory: { request: memory(r.requests.memory), limit: memory(r.limits.memory) },
  };
}
