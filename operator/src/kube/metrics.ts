import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The controller's name in the standard metrics, as controller-runtime names it: the lowercased kind. */
const CONTROLLER_NAME = 'sentimentplatform';
/** The labels of the controller's standard metrics. */
export const CONTROLLER_LABELS = { controller: CONTROLLER_NAME };
/** The labels of its work queue's: client-go's `name`, and `controller` as controller-runtime adds (alike). */
export const QUEUE_LABELS = { name: CONTROLLER_NAME, controller: CONTROLLER_NAME };
const queueLabelNames = ['name', 'controller'] as const;

/** controller-runtime's controller_runtime_reconcile_total results. */
type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';
const RESULTS: readonly ReconcileResult[] = ['success', 'error', 'requeue', 'requeue_after'];

/** controller-runtime's reconcile-time buckets (5 ms … 60 s). */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** The work-queue buckets controller-runtime registers (client-go's exponential 10 ns × 10ⁿ, up to 1000 s). */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** One platform's phase, as the per-tenant gauge shows it. */
export interface PlatformPhase {
  namespace: string;
  name: string;
  phase: string;
}

/** What the scrape-time gauges read from the work queue. */
export interface QueueReadings {
  readonly depth: number;
  readonly active: number;
  unfinishedWork(): { totalMs: number; longestMs: number };
}

/**
 * The operator's Prometheus metrics, on a registry of its own (several operators can share a process in tests):
 * its own `sentiment_operator_*` ones, and controller-runtime's and client-go's standard names, labels and
 * types, so that dashboards and alerts made for kubebuilder operators work unchanged.
 */
export class OperatorMetrics {
  readonly registry = new Registry();
  private queue: QueueReadings | undefined;
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
  readonly fleetRolloutPlatforms = new Gauge({
    name: 'sentiment_operator_fleet_rollout_platforms',
    help: "Platforms of the fleet rollout of the operator's template, by state: updated, pending, in_flight.",
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly fleetRolloutHalted = new Gauge({
    name: 'sentiment_operator_fleet_rollout_halted',
    help: '1 while the fleet rollout is halted and waits for `sentiment-operator fleet resume`.',
    registers: [this.registry],
  });
  readonly platforms = new Gauge({
    name: 'sentiment_operator_platforms',
    help: 'SentimentPlatforms by phase.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  /** Read at scrape time, so it is right after a restart too (status writes are skipped when unchanged). */
  private platformPhases: (() => Iterable<PlatformPhase>) | undefined;
  readonly platformPhase = new Gauge({
    name: 'sentiment_operator_platform_phase',
    help: "1 for each SentimentPlatform's current status.phase (the per-tenant PrometheusRule alerts on Degraded).",
    labelNames: ['platform_namespace', 'platform', 'phase'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.platformPhases) return;
      this.platformPhase.reset();
      for (const p of this.platformPhases())
        this.platformPhase.set({ platform_namespace: p.namespace, platform: p.name, phase: p.phase }, 1);
    },
  });
  readonly watchRestarts = new Counter({
    name: 'sentiment_operator_watch_restarts_total',
    help: 'Informer restarts after a watch or list error, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  // controller-runtime's (pkg/internal/controller/metrics) and client-go's, with their help texts.
  readonly controllerReconciles = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly controllerReconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly controllerTerminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly controllerReconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers: [this.registry],
  });
  readonly maxConcurrentReconciles = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
    collect: () => {
      if (this.queue) this.activeWorkers.set(CONTROLLER_LABELS, this.queue.active);
    },
  });
  readonly workqueueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: queueLabelNames,
    registers: [this.registry],
    collect: () => {
      if (this.queue) this.workqueueDepth.set(QUEUE_LABELS, this.queue.depth);
    },
  });
  readonly workqueueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: queueLabelNames,
    registers: [this.registry],
  });
  readonly workqueueQueueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: queueLabelNames,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly workqueueWorkDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: queueLabelNames,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: queueLabelNames,
    registers: [this.registry],
  });
  readonly workqueueUnfinishedWork = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      'How many seconds of work has been done that is in progress and has not been observed by ' +
      'work_duration. Large values indicate stuck threads.',
    labelNames: queueLabelNames,
    registers: [this.registry],
    collect: () => {
      const work = this.queue?.unfinishedWork();
      if (work) this.workqueueUnfinishedWork.set(QUEUE_LABELS, work.totalMs / 1000);
    },
  });
  readonly workqueueLongestRunning = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: queueLabelNames,
    registers: [this.registry],
    collect: () => {
      const work = this.queue?.unfinishedWork();
      if (work) this.workqueueLongestRunning.set(QUEUE_LABELS, work.longestMs / 1000);
    },
  });
  readonly restClientRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests, partitioned by status code, method, and host.',
    labelNames: ['code', 'method', 'host'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: 'sentiment_operator_' });
  }

  /**
   * The controller's series from the start, at zero as controller-runtime's and client-go's are (a rate or
   * an alert needs no first event), and the queue's gauges read at each scrape.
   */
  /** Where the phase gauge reads the platforms from (the manager's informer cache). */
  watchPlatforms(phases: () => Iterable<PlatformPhase>): void {
    this.platformPhases = phases;
  }

  watchController(queue: QueueReadings, maxConcurrentReconciles: number): void {
    this.queue = queue;
    this.maxConcurrentReconciles.set(CONTROLLER_LABELS, maxConcurrentReconciles);
    for (const result of RESULTS) this.controllerReconciles.inc({ ...CONTROLLER_LABELS, result }, 0);
    this.controllerReconcileErrors.inc(CONTROLLER_LABELS, 0);
    this.controllerTerminalErrors.inc(CONTROLLER_LABELS, 0);
    this.controllerReconcileTime.zero(CONTROLLER_LABELS);
    this.workqueueAdds.inc(QUEUE_LABELS, 0);
    this.workqueueRetries.inc(QUEUE_LABELS, 0);
    this.workqueueQueueDuration.zero(QUEUE_LABELS);
    this.workqueueWorkDuration.zero(QUEUE_LABELS);
  }
}
