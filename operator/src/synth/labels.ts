// The contract labels (crds/src/labels.ts) as this platform's objects carry them.
import { LABELS, MANAGED_BY, PART_OF, componentName, type ComponentName } from '@sentiment/crds';

/** Components of a platform; `platform` labels objects shared by all of them. */
export type Component = 'api' | 'worker' | 'ml' | 'llm' | 'backup' | 'restore' | 'model-seed' | 'platform';

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

/**
 * The PromQL label matchers of a component's series as the tenant's ServiceMonitor scrapes them (the Prometheus
 * Operator labels each with the namespace and the Service it came through): what alert rules and the LLM's
 * autoscaler select this tenant's series by.
 */
export function scrapedSeries(namespace: string, platform: string, component: ComponentName): string {
  return `namespace="${namespace}",service="${componentName(platform, component)}"`;
}
