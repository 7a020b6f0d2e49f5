// Wires the controller together: informers feed keys into the work queue, the queue drives the
// reconciler, leader election decides which instance runs them, and an HTTP server exposes
// /healthz, /readyz and /metrics. Graceful shutdown drains running reconciles (for a bounded time) and
// releases the lease; lost leadership stops every write at once.
import type { Server } from 'node:http';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY, type SentimentPlatform } from '@sentiment/crds';
import Koa from 'koa';
import type { Logger } from 'pino';
import { KubeClient } from './kube/client.js';
import { servesKinds } from './kube/discovery.js';
import { EventRecorder } from './kube/events.js';
import { Informer, mergedStore, type InformerEvent, type ObjectStore } from './kube/informer.js';
import { LeaderElector } from './kube/leader.js';
import { CONTROLLER_LABELS, OperatorMetrics, QUEUE_LABELS } from './kube/metrics.js';
import {
  KEDA_KINDS,
  MONITORING_KINDS,
  OWNED_KINDS,
  PLATFORM_KIND,
  kindKey,
  type ResourceKind,
} from './kube/resources.js';
import { WorkQueue, type HandlerResult } from './kube/workqueue.js';
import { Reconciler } from './reconcile/reconciler.js';
import type { ClusterCapabilities, EstimateCost, Fleet, Synthesize } from './reconcile/deps.js';
import { FleetRollout, type RolloutOptions } from './rollout/coordinator.js';
import { templateRevision } from './rollout/revision.js';
import type { BackupRoles } from './tenancy/backup-role.js';
import { TenancyProvisioner, type DataServicesConfig } from './tenancy/provisioner.js';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  synthesize: Synthesize;
  estimateCost: EstimateCost;
  /** Namespaces to watch; empty or undefined: all namespaces. */
  namespaces?: string[];
  concurrency: number;
  identity: string;
  leaderElection: LeaderElectionConfig | false;
  dataServices: DataServicesConfig;
  /** The platforms' own backup roles in IAM, where the installation has per-tenant backup roles. */
  backupRoles?: BackupRoles;
  /** auto (default): a ServiceMonitor and PrometheusRule per tenant where the cluster serves them; off: never. */
  tenantMonitoring?: 'auto' | 'off';
  /** auto (default): autoscaled workers scale on their queue with KEDA where the cluster serves it; off: on CPU. */
  workerScaling?: 'auto' | 'off';
  /**
   * The fleet rollout of a new template (rollout/): canaries, then waves; false: every platform takes a new
   * template at once.
   */
  rollout?: RolloutOptions | false;
  /** Port of /healthz, /readyz, /metrics; 0 picks a free one; undefined: no server. */
  httpPort?: number;
  /** Every platform is reconciled at least this often (a steady-state resync writes nothing). */
  resyncMs: number;
  backoff: { baseDelayMs: number; maxDelayMs: number };
  tenancyVerifyIntervalMs: number;
  notReadyRequeueMs: number;
  /**
   * Called when leadership is lost after being held, right after the client is fenced and before anything
   * else; the CLI exits there, which also ends data-service work a fence cannot reach.
   */
  onLostLeadership?: () => void;
  /**
   * How long stop() waits for running reconciles (default 20 s, inside Kubernetes' default 30 s grace
   * period). Past it, their writes are aborted and the lease is left to expire rather than released.
   */
  shutdownGraceMs?: number;
}

type Platform = SentimentPlatform & KubernetesObject;

/** How one reconcile ended: what the reconciler answered, or the error it threw (retried after retryInMs). */
type ReconcileOutcome = { result: HandlerResult | void } | { error: unknown; retryInMs: number };

export class Manager {
  readonly metrics = new OperatorMetrics({ processMetrics: true });
  readonly client: KubeClient;
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly platformInformers: Informer<Platform>[] = [];
  private readonly childInformers = new Map<string, Informer[]>();
  /** The reconciler's caches of the owned kinds; the monitoring kinds join at start when served. */
  private readonly childStores = new Map<string, ObjectStore>();
  private readonly capabilities: ClusterCapabilities = { prometheusOperator: false, keda: false };
  private readonly namespaces: (string | undefined)[];
  private readonly elector: LeaderElector | undefined;
  private readonly seenGeneration = new Map<string, string>();
  private readonly fleet: Fleet = {};
  private readonly reconcilerPlatforms: ObjectStore<Platform>;
  private readonly events: EventRecorder;
  private rollout: FleetRollout | undefined;
  private server: Server | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running = false;
  private synced = false;
  private stopping = false;

  constructor(private readonly options: ManagerOptions) {
    const log = options.log;
    this.client = new KubeClient(options.kubeConfig, this.metrics);
    this.namespaces = options.namespaces?.length ? options.namespaces : [undefined];
    this.platformInformers.push(
      ...this.informers<Platform>(PLATFORM_KIND, (event, obj) => this.onPlatformEvent(event, obj)),
    );
    for (const kind of OWNED_KINDS) this.watchChildren(kind);
    const m = this.metrics;
    this.queue = new WorkQueue(
      async (key) => {
        const started = performance.now();
        try {
          const result = await this.reconciler.reconcile(key);
          this.recordOutcome(key, { result });
          return result;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          m.reconcileDuration.observe(seconds);
          m.controllerReconcileTime.observe(CONTROLLER_LABELS, seconds);
        }
      },
      {
        concurrency: options.concurrency,
        ...options.backoff,
        onDepth: (d) => m.queueDepth.set(d),
        observer: {
          onAdd: () => m.workqueueAdds.inc(QUEUE_LABELS),
          onStart: (_key, queuedMs) => m.workqueueQueueDuration.observe(QUEUE_LABELS, queuedMs / 1000),
          onDone: (_key, workMs) => m.workqueueWorkDuration.observe(QUEUE_LABELS, workMs / 1000),
          onRetry: () => m.workqueueRetries.inc(QUEUE_LABELS),
        },
      },
      (key, error, retryInMs) => this.recordOutcome(key, { error, retryInMs }),
    );
    m.watchController(this.queue, options.concurrency);
    m.watchPlatforms(() =>
      this.platformInformers
        .flatMap((i) => i.list())
        .map((p) => ({
          namespace: p.metadata.namespace ?? '',
          name: p.metadata.name,
          phase: p.status?.phase ?? 'Pending',
        })),
    );
    this.reconcilerPlatforms = mergedStore(this.platformInformers);
    this.events = new EventRecorder(this.client, options.identity, log);
    this.reconciler = new Reconciler({
      client: this.client,
      platforms: this.reconcilerPlatforms,
      children: this.childStores,
      capabilities: this.capabilities,
      fleet: this.fleet,
      provisioner: new TenancyProvisioner(options.dataServices),
      ...(options.backupRoles && { backupRoles: options.backupRoles }),
      synthesize: options.synthesize,
      estimateCost: options.estimateCost,
      events: this.events,
      metrics: this.metrics,
      log,
      tenancyVerifyIntervalMs: options.tenancyVerifyIntervalMs,
      notReadyRequeueMs: options.notReadyRequeueMs,
    });
    if (options.leaderElection) {
      this.elector = new LeaderElector(
        this.client,
        {
          ...options.leaderElection,
          identity: options.identity,
          onStartedLeading: () => void this.startControllers(),
          onStoppedLeading: () => this.lostLeadership(),
        },
        log,
      );
    }
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.running;
  }

  /** Ready: a standby is ready to take over; a leader once its caches are synced. */
  get isReady(): boolean {
    return !this.stopping && (this.running ? this.synced : !!this.elector);
  }

  get httpAddress(): string | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? `http://127.0.0.1:${addr.port}` : undefined;
  }

  async start(): Promise<void> {
    if (this.options.httpPort !== undefined) await this.listen(this.options.httpPort);
    if (this.elector) this.elector.start();
    else await this.startControllers();
  }

  /**
   * Graceful: stop taking work, let running reconciles finish (for shutdownGraceMs at most), stop watches,
   * release the lease.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.resyncTimer);
    this.rollout?.stop();
    const graceMs = this.options.shutdownGraceMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.queue.shutdown().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.options.log.warn(
        { active: this.queue.active, graceMs },
        'reconciles still running at the end of the shutdown grace period; aborting their writes',
      );
      this.client.fence('shutting down');
    }
    await Promise.all(this.allInformers().map((i) => i.stop()));
    // An abandoned write may still reach the API server: a standby must then wait for the lease to expire.
    await this.elector?.stop({ release: drained });
    this.metrics.isLeader.set(0);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.options.log.info('operator stopped');
  }

  /** Waits until no key is queued or being reconciled (tests and the benchmark use it). */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  private async startControllers(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    this.metrics.isLeader.set(1);
    const log = this.options.log;
    await this.discoverCapabilities();
    // What synth renders depends on the capabilities: the template is known only now.
    this.fleet.revision = templateRevision(this.options.synthesize, this.capabilities);
    const rollout = this.options.rollout;
    if (rollout) {
      this.rollout = new FleetRollout(
        this.fleet.revision,
        {
          client: this.client,
          platforms: this.reconcilerPlatforms,
          events: this.events,
          metrics: this.metrics,
          log,
          enqueue: (key) => this.queue.add(key),
        },
        rollout,
      );
      this.fleet.rollout = this.rollout;
    }
    // Children first, so the first reconcile of each platform already sees what exists.
    await Promise.all([...this.childInformers.values()].flat().map((i) => i.start()));
    await Promise.all(this.platformInformers.map((i) => i.start()));
    await this.rollout?.start();
    this.synced = true;
    log.info(
      { namespaces: this.options.namespaces?.length ? this.options.namespaces : 'all' },
      'caches synced; reconciling',
    );
    this.resyncTimer = setInterval(() => this.resyncAll(), this.options.resyncMs);
    this.resyncTimer.unref();
  }

  /**
   * Which optional kinds the cluster serves (each unless its mode is off): the Prometheus Operator's
   * (synth then writes a ServiceMonitor and a PrometheusRule per tenant) and KEDA's (autoscaled workers scale
   * on their queue). Served kinds are watched like the owned ones. Asked once: installing either later
   * takes an operator restart.
   */
  private async discoverCapabilities(): Promise<void> {
    const optional = [
      {
        capability: 'prometheusOperator',
        mode: this.options.tenantMonitoring,
        kinds: MONITORING_KINDS,
        served:
          'the Prometheus Operator is installed: every tenant gets a ServiceMonitor and a PrometheusRule',
        absent: 'no Prometheus Operator CRDs: tenants get no ServiceMonitor or PrometheusRule',
      },
      {
        capability: 'keda',
        mode: this.options.workerScaling,
        kinds: KEDA_KINDS,
        served: 'KEDA is installed: autoscaled workers scale on their queue (ScaledObject)',
        absent: 'no KEDA CRDs: autoscaled workers scale on CPU (HorizontalPodAutoscaler)',
      },
    ] as const;
    for (const o of optional) {
      if (o.mode === 'off') continue;
      const served = await servesKinds((path) => this.client.get(path), o.kinds);
      this.capabilities[o.capability] = served;
      if (served) for (const kind of o.kinds) this.watchChildren(kind);
      this.options.log.info({ [o.capability]: served }, served ? o.served : o.absent);
    }
  }

  /** Informers for one owned kind, in every watched namespace, feeding the reconciler's cache of it. */
  private watchChildren(kind: ResourceKind): void {
    const key = kindKey(kind.apiVersion, kind.kind);
    const list = this.informers(kind, (_event, obj) => this.onChildEvent(obj), {
      labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
    });
    this.childInformers.set(key, list);
    this.childStores.set(key, mergedStore(list));
  }

  /** One informer of `kind` per watched namespace, counted in the metrics like every other. */
  private informers<T extends KubernetesObject>(
    kind: ResourceKind,
    onEvent: (event: InformerEvent, obj: T) => void,
    extra: { labelSelector?: string } = {},
  ): Informer<T>[] {
    return this.namespaces.map(
      (ns) =>
        new Informer<T>(this.options.kubeConfig, kind, {
          ...(ns && { namespace: ns }),
          ...extra,
          log: this.options.log,
          onEvent,
          onRestart: () => this.metrics.watchRestarts.inc({ kind: kind.kind }),
          onRequest: this.client.countRequest,
        }),
    );
  }

  /** Another instance may lead from now on: not one more write from this one, without waiting for anything. */
  private lostLeadership(): void {
    this.client.fence('lost the leader lease');
    this.metrics.isLeader.set(0);
    this.options.onLostLeadership?.();
    // Running reconciles now fail at their next write; stop() only tidies up.
    void this.stop();
  }

  /** Enqueues every platform in the cache (the periodic resync). */
  resyncAll(): void {
    for (const informer of this.platformInformers) {
      for (const p of informer.list()) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    }
  }

  /**
   * What each outcome of a reconcile counts and logs, all in this one place, as in controller-runtime's
   * reconcileHandler. The queue acts on it (a retry after an error, a delayed add); a terminal error is
   * neither retried nor requeued: only a change of the platform, whose event queues it, can heal it.
   */
  private recordOutcome(key: string, outcome: ReconcileOutcome): void {
    const m = this.metrics;
    const log = this.options.log;
    if ('error' in outcome) {
      m.reconciles.inc({ result: 'error' });
      m.reconcileErrors.inc();
      m.controllerReconciles.inc({ ...CONTROLLER_LABELS, result: 'error' });
      m.controllerReconcileErrors.inc(CONTROLLER_LABELS);
      log.warn(
        { platform: key, err: (outcome.error as Error).message, retryInMs: outcome.retryInMs },
        'reconcile failed; retrying with backoff',
      );
      return;
    }
    const { result } = outcome;
    if (result?.terminal) {
      m.reconciles.inc({ result: 'error' });
      m.controllerReconciles.inc({ ...CONTROLLER_LABELS, result: 'error' });
      m.controllerReconcileErrors.inc(CONTROLLER_LABELS);
      m.controllerTerminalErrors.inc(CONTROLLER_LABELS);
      log.warn(
        { platform: key, reason: result.terminal.reason, err: result.terminal.message },
        'reconcile failed; not retried until the platform changes',
      );
    } else if (result?.requeueAfterMs !== undefined) {
      m.reconciles.inc({ result: 'requeue' });
      m.controllerReconciles.inc({ ...CONTROLLER_LABELS, result: 'requeue_after' });
    } else {
      m.reconciles.inc({ result: 'success' });
      m.controllerReconciles.inc({ ...CONTROLLER_LABELS, result: 'success' });
    }
  }

  private onPlatformEvent(event: InformerEvent, obj: Platform): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    // Status changes too: a platform turning Ready or Degraded moves the rollout.
    this.rollout?.observe();
    if (event === 'delete') {
      this.seenGeneration.delete(key);
      this.queue.add(key);
      return;
    }
    // Our own status writes bump resourceVersion but not generation: they must not trigger a reconcile.
    const marker = `${obj.metadata.generation}|${obj.metadata.deletionTimestamp ?? ''}|${(obj.metadata.finalizers ?? []).join(',')}`;
    if (event === 'update' && this.seenGeneration.get(key) === marker) return;
    this.seenGeneration.set(key, marker);
    this.queue.add(key);
  }

  private onChildEvent(obj: KubernetesObject): void {
    const platform = obj.metadata?.labels?.[LABELS.platform];
    if (platform && obj.metadata?.namespace) this.queue.add(`${obj.metadata.namespace}/${platform}`);
  }

  private allInformers(): Informer[] {
    return [...this.platformInformers, ...[...this.childInformers.values()].flat()] as Informer[];
  }

  private listen(port: number): Promise<void> {
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path === '/healthz') {
        ctx.body = 'ok';
      } else if (ctx.path === '/readyz') {
        ctx.status = this.isReady ? 200 : 503;
        ctx.body = this.isReady ? 'ok' : 'not ready';
      } else if (ctx.path === '/metrics') {
        ctx.type = this.metrics.registry.contentType;
        ctx.body = await this.metrics.registry.metrics();
      } else {
        ctx.status = 404;
      }
    });
    return new Promise((resolve) => {
      this.server = app.listen(port, () => resolve());
    });
  }
}
