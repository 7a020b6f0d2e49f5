// What every synth module needs: the chart to add to, the platform's identity and resolved spec.
import type { Chart } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import type { ResolvedSpec } from '@sentiment/crds';

export interface SynthContext {
  chart: Chart;
  /** metadata.name of the SentimentPlatform; prefixes every object name. */
  name: string;
  namespace: string;
  spec: ResolvedSpec;
  serviceAccount: kplus.IServiceAccount;
  configMap: kplus.IConfigMap;
  /** Digest of the ConfigMap's data, stamped on pod templates so a config change rolls the pods. */
  configDigest: string;
}
