// What every synth module needs: the chart to add to, the platform's identity and resolved spec, and the
// operator's install-wide options.
import type { Chart } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import type { ResolvedSpec } from '@sentiment/crds';
import type { BackupOptions } from './backup.js';
import type { DefaultImages } from './images.js';
import type { ModelCacheOptions } from './model-cache.js';
import type { MonitoringOptions } from './monitoring.js';

/** Install-wide settings of the operator (its CLI flags), the same for every platform it reconciles. */
export interface SynthOptions {
  /** Origins of the dashboard SPA (CloudFront in AWS) that every tenant API answers with CORS. */
  dashboardOrigins?: readonly string[];
  /** The installation's references for the built-in default images (a registry mirror). */
  defaultImages?: DefaultImages;
  /** ALB IngressGroup that HTTPS tenants share (default DEFAULT_INGRESS_GROUP). */
  ingressGroup?: string;
  /** PEM of the CA bundle the data services' certificates chain to, when Node's defaults do not (RDS). */
  dataServicesCa?: string;
  /** Per-tenant ServiceMonitor and PrometheusRule: set when the cluster serves the Prometheus Operator's CRDs. */
  monitoring?: MonitoringOptions;
  /** Scale the worker on its queue with KEDA: set when the cluster serves KEDA's CRDs (else an HPA on CPU). */
  keda?: boolean;
  /** The Prometheus HTTP API KEDA queries for a self-hosted LLM's autoscaling (--prometheus-url). */
  prometheusUrl?: string;
  /** Where backups go and how the backup pods reach S3 (spec.backup, spec.restore). */
  backup?: BackupOptions;
  /** The S3 model cache of self-hosted LLMs (--model-cache-bucket); unset, servers download from the Hub. */
  modelCache?: ModelCacheOptions;
}

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
