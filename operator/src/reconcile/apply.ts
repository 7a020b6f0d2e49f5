// Writing the desired children: server-side apply of what differs from the cache, then deleting what this
// platform owns and no longer wants.
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABELS, type SentimentPlatform } from '@sentiment/crds';
import type { Logger } from 'pino';
import { kindKey } from '../kube/resources.js';
import { isSubset } from './compare.js';
import { childStore, type ReconcilerDeps } from './deps.js';

type ApplyDeps = Pick<ReconcilerDeps, 'client' | 'children' | 'metrics' | 'events'>;

/** Applies every object that differs from its cached copy; throws naming each one that failed. */
export async function applyAll(deps: ApplyDeps, desired: KubernetesObject[], log: Logger): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    desired.map(async (obj) => {
      const live = childStore(deps, obj.apiVersion!, obj.kind!)?.get(
        obj.metadata!.name!,
        obj.metadata!.namespace,
      );
      if (live && isSubset(obj, live)) {
        deps.metrics.writesSkipped.inc();
        return;
      }
      try {
        await deps.client.apply(obj);
        log.debug({ kind: obj.kind, name: obj.metadata?.name, drift: !!live }, 'applied');
      } catch (err) {
        failures.push(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`);
      }
    }),
  );
  if (failures.length) throw new Error(`could not apply ${failures.join('; ')}`);
}

/** Deletes objects this platform owns (label + controller owner reference) that are no longer desired. */
export async function prune(
  deps: ApplyDeps,
  platform: SentimentPlatform,
  desired: KubernetesObject[],
  log: Logger,
): Promise<void> {
  const { namespace, name, uid } = platform.metadata;
  const wanted = new Set(desired.map((o) => `${kindKey(o.apiVersion!, o.kind!)}/${o.metadata!.name}`));
  const leftovers: KubernetesObject[] = [];
  for (const [kk, informer] of deps.children) {
    for (const obj of informer.list(namespace)) {
      if (obj.metadata?.labels?.[LABELS.platform] !== name) continue;
      if (!obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller)) continue;
      if (!wanted.has(`${kk}/${obj.metadata.name}`)) leftovers.push(obj);
    }
  }
  if (leftovers.length === 0) return;
  await Promise.all(leftovers.map((o) => deps.client.delete(o)));
  const names = leftovers.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
  log.info({ pruned: names }, 'pruned objects no longer desired');
  await deps.events.record(platform as KubernetesObject, {
    type: 'Normal',
    reason: 'Pruned',
    action: 'Prune',
    note: `deleted objects no longer in the spec: ${names}`,
  });
}
