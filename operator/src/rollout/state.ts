// The rollout's state as a ConfigMap in the operator's namespace, so that a halt survives a restart and a
// person can resume it (`sentiment-operator fleet resume` rewrites it). Written with the resourceVersion it
// was read at, so the operator and a person never overwrite each other.
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY } from '@sentiment/crds';
import { objectPath } from '../kube/resources.js';
import type { RolloutState } from './plan.js';

/** The ConfigMap's name (one per operator installation). */
export const ROLLOUT_STATE_NAME = 'sentiment-operator-fleet-rollout';

export interface StateConfigMap extends KubernetesObject {
  data?: Record<string, string>;
}

export const statePath = (namespace: string): string =>
  objectPath('v1', 'ConfigMap', namespace, ROLLOUT_STATE_NAME);

/** The state the ConfigMap holds; undefined when it holds none (or not one this code can read). */
export function parseState(cm: StateConfigMap | undefined): RolloutState | undefined {
  const d = cm?.data;
  if (!d?.revision) return undefined;
  try {
    const halted = d.halted ? (JSON.parse(d.halted) as RolloutState['halted']) : undefined;
    const acknowledged = d.acknowledged ? (JSON.parse(d.acknowledged) as string[]) : [];
    return { revision: d.revision, acknowledged, ...(halted && { halted }) };
  } catch {
    return undefined;
  }
}

/** The ConfigMap for `state`; `base` (the one read) keeps its resourceVersion for an update. */
export function stateConfigMap(
  namespace: string,
  state: RolloutState,
  base?: StateConfigMap,
): StateConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: ROLLOUT_STATE_NAME,
      namespace,
      labels: { [LABELS.managedBy]: MANAGED_BY },
      ...(base?.metadata?.resourceVersion && { resourceVersion: base.metadata.resourceVersion }),
    },
    data: {
      revision: state.revision,
      acknowledged: JSON.stringify(state.acknowledged),
      ...(state.halted && { halted: JSON.stringify(state.halted) }),
    },
  };
}

/** Resuming: the halt is lifted and the platform that caused it no longer halts this rollout. */
export function resumed(state: RolloutState): RolloutState {
  return {
    revision: state.revision,
    acknowledged: state.halted
      ? [...new Set([...state.acknowledged, state.halted.platform])]
      : state.acknowledged,
  };
}
