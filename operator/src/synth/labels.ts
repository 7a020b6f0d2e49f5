// The contract labels (crds/src/labels.ts) as this platform's objects carry them.
import { LABELS, MANAGED_BY, PART_OF } from '@sentiment/crds';

/** Components of a platform; `platform` labels objects shared by all of them. */
export type Component = 'api' | 'worker' | 'ml' | 'llm' | 'backup' | 'restore' | 'platform';

/** Labels on every object: pruning finds leftovers by `platform` and `managed-by`. */
export function objectLabels(platform: string, component: Component): Record<string, string> {
  return {
    [LABELS.name]: component === 'platform' ? PART_OF : `sentiment-${component}`,
    [LABELS.instance]: platform,
    [LABELS.component]: component,
    [LABELS.partOf]: PART_OF,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.platform]: platform,
  };
}

/** The immutable Deployment selector: as few labels as identify a component's pods. */
export function selectorLabels(platform: string, component: Component): Record<string, string> {
  return { [LABELS.platform]: platform, [LABELS.component]: component };
}
