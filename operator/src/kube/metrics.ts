import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's Prometheus metrics, on a registry of its own (several operators can share a process in tests). */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'sentiment_operator_reconcile_total',
    help: 'Reconciles by result (success, error, requeue).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'sentiment_operator_reconcile_errors_total',
    help: 'Reconciles that failed and were retried with backoff.',
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'sentiment_operator_reconcile_duration_seconds',
    help: 'Duration of one reconcile.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'sentiment_operator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'sentiment_operator_api_writes_total',
    help: 'Write requests sent to the Kubernetes API, by verb and kind.',
    labelNames: ['verb', 'kind'] as const,
    registers: [this.registry],
  });
  readonly writesSkipped = new Counter({
    name: 'sentiment_operator_apply_skipped_total',
    help: 'Desired objects already matching the cluster, so no request was sent.',
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'sentiment_operator_leader',
    help: '1 while this instance holds the leader lease.',
    registers: [this.registry],
  });
  readonly platforms = new Gauge({
    name: 'sentiment_operator_platforms',
    help: 'SentimentPlatforms by phase.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: 'sentiment_operator_watch_restarts_total',
    help: 'Informer restarts after a watch or list error, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'sentiment_operator_' });
  }
}
