// Per-tenant monitoring for clusters that run the Prometheus Operator (the operator finds its CRDs at
// start): a ServiceMonitor scraping the api, worker and ml pods, a PrometheusRule with the alerts that
// matter to a tenant, and the NetworkPolicy that lets Prometheus reach the pods. The metric names are the
// workloads' own (workloads/api, workloads/ml) and the operator's; Prometheus adds `namespace` and
// `service` to every scraped series, which is how the rules pick this tenant's.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HTTP_PORT, LABELS, METRICS_PATH } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels, scrapedSeries } from './labels.js';
import { LLM_PORTS } from './llm.js';
import { platformService } from './pod.js';

/** The install-wide settings of tenant monitoring (the operator's flags). */
export interface MonitoringOptions {
  /** Namespace Prometheus runs in: the only one whose pods may scrape the tenant's pods. */
  prometheusNamespace: string;
}

/** Where kube-prometheus-stack and the Prometheus Operator's own examples run Prometheus. */
export const DEFAULT_PROMETHEUS_NAMESPACE = 'monitoring';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';
const SCRAPED = ['api', 'worker', 'ml'] as const;

/** Alert thresholds; `for` keeps one slow scrape or a rollout from paging anyone. */
export const ALERTS = {
  apiErrorRatio: 0.05,
  mlLatencyP95Seconds: 1,
} as const;

export function monitoring(ctx: SynthContext, options: MonitoringOptions): void {
  const labels = objectLabels(ctx.name, 'platform');
  // A self-hosted LLM server too: vLLM and llama-server (--metrics) serve /metrics on their HTTP port.
  const llm = ctx.spec.llm.provider === 'self-hosted' ? ctx.spec.llm.selfHosted.runtime : undefined;
  const scraped = [...SCRAPED, ...(llm ? (['llm'] as const) : [])];
  const ports = [...new Set([HTTP_PORT, ...(llm ? [LLM_PORTS[llm]] : [])])];
  // The worker serves no traffic, so it has no Service of its own; this one exists for the scrape.
  platformService(ctx, 'worker', HTTP_PORT);

  new ApiObject(ctx.chart, 'service-monitor', {
    apiVersion: MONITORING_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: { name: ctx.name, labels },
    spec: {
      selector: {
        matchLabels: { [LABELS.platform]: ctx.name },
        matchExpressions: [{ key: LABELS.component, operator: 'In', values: scraped }],
      },
      endpoints: [{ port: 'http', path: METRICS_PATH, interval: '30s' }],
    },
  });

  const of = (component: (typeof SCRAPED)[number]) => scrapedSeries(ctx.namespace, ctx.name, component);
  const tenant = `${ctx.namespace}/${ctx.name}`;
  const rule = (alert: string, expr: string, forDuration: string, summary: string) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity: 'warning', sentiment_platform: tenant },
    annotations: { summary },
  });
  new ApiObject(ctx.chart, 'prometheus-rule', {
    apiVersion: MONITORING_API_VERSION,
    kind: 'PrometheusRule',
    metadata: { name: ctx.name, labels },
    spec: {
      groups: [
        {
          name: `sentiment-platform.${ctx.name}`,
          rules: [
            rule(
              'SentimentIngestJobsFailing',
              `increase(sentiment_ingest_jobs_total{${of('worker')},state="failed"}[30m]) > 0`,
              '0m',
              `Ingest jobs of ${tenant} failed in the last 30 minutes; the job's reason is in GET /v1/ingest/jobs/{id}.`,
            ),
            rule(
              'SentimentApiErrors',
              `sum(rate(sentiment_api_requests_total{${of('api')},status=~"5.."}[5m])) / sum(rate(sentiment_api_requests_total{${of('api')}}[5m])) > ${ALERTS.apiErrorRatio}`,
              '10m',
              `More than ${ALERTS.apiErrorRatio * 100}% of ${tenant}'s API requests answer 5xx.`,
            ),
            rule(
              'SentimentMlSlow',
              `histogram_quantile(0.95, sum by (le) (rate(sentiment_ml_request_duration_seconds_bucket{${of('ml')}}[5m]))) > ${ALERTS.mlLatencyP95Seconds}`,
              '15m',
              `${tenant}'s ML service answers the 95th percentile slower than ${ALERTS.mlLatencyP95Seconds} s: scale it out or check its CPU.`,
            ),
            rule(
              'SentimentPlatformDegraded',
              `max(sentiment_operator_platform_phase{platform_namespace="${ctx.namespace}",platform="${ctx.name}",phase="Degraded"}) == 1`,
              '10m',
              `SentimentPlatform ${tenant} is Degraded: kubectl describe sentimentplatform ${ctx.name} -n ${ctx.namespace}.`,
            ),
          ],
        },
      ],
    },
  });

  new kplus.k8s.KubeNetworkPolicy(ctx.chart, 'netpol-metrics', {
    metadata: { name: `${ctx.name}-allow-metrics`, labels },
    spec: {
      podSelector: {
        matchLabels: { [LABELS.platform]: ctx.name },
        matchExpressions: [{ key: LABELS.component, operator: 'In', values: scraped }],
      },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': options.prometheusNamespace },
              },
            },
          ],
          ports: ports.map((port) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) })),
        },
      ],
    },
  });
}
