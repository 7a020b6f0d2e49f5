// The fleet rollout in the running operator: which platforms the reconciler may bring to the current
// template (mayApply), and the admissions, halts and resumes around it. Decisions come from planRollout()
// over the platform cache; the state that must outlive this process is the ConfigMap of state.ts.
import type { KubernetesObject } from '@kubernetes/client-node';
import { type SentimentPlatform } from '@sentiment/crds';
import type { Logger } from 'pino';
import { isNotFound, type KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { ObjectStore } from '../kube/informer.js';
import type { OperatorMetrics } from '../kube/metrics.js';
import { findCondition } from '../reconcile/conditions.js';
import { planRollout, type FleetMember, type RolloutPlan, type RolloutState } from './plan.js';
import { parseState, stateConfigMap, statePath, type StateConfigMap } from './state.js';

export interface RolloutOptions {
  /** Platforms per wave after the canaries. */
  waveSize: number;
  /** `key=value`: the label of canary platforms. */
  canaryLabel: string;
  progressDeadlineMs: number;
  /** Where the state ConfigMap lives (the operator's namespace). */
  namespace: string;
  /** How often a halted rollout looks for a resume, and an admitted wave for its deadline. */
  pollMs?: number;
}

export interface RolloutDeps {
  client: KubeClient;
  platforms: ObjectStore<SentimentPlatform & KubernetesObject>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  enqueue: (key: string) => void;
  now?: () => number;
}

const keyOf = (p: SentimentPlatform) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

export class FleetRollout {
  private state: RolloutState;
  private base: StateConfigMap | undefined;
  private readonly admitted = new Map<string, number>();
  private plan: RolloutPlan | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  /** No plan before the persisted state is read: it may say the rollout is halted. */
  private started = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly revision: string,
    private readonly deps: RolloutDeps,
    private readonly options: RolloutOptions,
  ) {
    this.state = { revision, acknowledged: [] };
  }

  /** Reads the persisted state; a different revision there starts a new rollout. */
  async start(): Promise<void> {
    const cm = await this.read();
    const saved = parseState(cm);
    this.base = cm;
    if (saved?.revision === this.revision) this.state = saved;
    else await this.save({ revision: this.revision, acknowledged: [] });
    this.deps.log.info(
      { revision: this.revision, previous: saved?.revision, halted: this.state.halted },
      saved?.revision === this.revision ? 'fleet rollout resumed' : 'fleet rollout of a new template',
    );
    this.started = true;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 5000);
    this.timer.unref();
    this.replan();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Whether the reconciler may apply the current template to this platform now: new platforms, spec
   * changes and platforms already on it always may; the others when the rollout has admitted them.
   */
  mayApply(platform: SentimentPlatform): boolean {
    const m = member(platform, this.canary());
    return m.fresh || m.specChanged || m.revision === this.revision || this.admitted.has(m.key);
  }

  /** Why a held platform waits, for its status. */
  holdReason(): { reason: 'WaitingForRollout' | 'RolloutHalted'; message: string } {
    const halted = this.state.halted;
    return halted
      ? {
          reason: 'RolloutHalted',
          message: `the operator's new template (${this.revision}) waits: the fleet rollout halted at ${halted.platform}, which ${halted.reason}; \`sentiment-operator fleet resume\` continues it`,
        }
      : {
          reason: 'WaitingForRollout',
          message: `the operator's new template (${this.revision}) reaches this platform in a later wave of the fleet rollout (\`sentiment-operator fleet status\`)`,
        };
  }

  /** Something in the fleet changed: plan again, once per turn of the event loop however many changed. */
  observe(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.replan();
    });
  }

  private canary(): (p: SentimentPlatform) => boolean {
    const [label, value = ''] = this.options.canaryLabel.split('=') as [string, string?];
    return (p) => p.metadata.labels?.[label] === value;
  }

  private replan(): void {
    if (!this.started) return;
    const now = this.deps.now?.() ?? Date.now();
    const isCanary = this.canary();
    const plan = planRollout({
      revision: this.revision,
      members: this.deps.platforms.list().map((p) => member(p, isCanary)),
      state: this.state,
      admitted: this.admitted,
      waveSize: this.options.waveSize,
      progressDeadlineMs: this.options.progressDeadlineMs,
      now,
    });
    this.plan = plan;
    const m = this.deps.metrics;
    m.fleetRolloutPlatforms.set({ state: 'updated' }, plan.updated.length);
    m.fleetRolloutPlatforms.set({ state: 'pending' }, plan.pending.length);
    m.fleetRolloutPlatforms.set({ state: 'in_flight' }, plan.inFlight.length);
    m.fleetRolloutHalted.set(plan.stage === 'halted' ? 1 : 0);
    for (const key of plan.admit) {
      this.admitted.set(key, now);
      this.deps.enqueue(key);
    }
    if (plan.admit.length)
      this.deps.log.info({ stage: plan.stage, admitted: plan.admit }, 'fleet rollout: admitted');
    if (plan.halt) void this.halt(plan.halt, now);
  }

  private async halt(halt: NonNullable<RolloutPlan['halt']>, now: number): Promise<void> {
    const halted = { ...halt, at: new Date(now).toISOString() };
    this.state = { ...this.state, halted };
    this.deps.log.warn(halted, 'fleet rollout halted');
    await this.save(this.state);
    const [namespace, name] = halt.platform.split('/') as [string, string];
    const platform = this.deps.platforms.get(name, namespace);
    if (platform) {
      await this.deps.events
        .record(platform, {
          type: 'Warning',
          reason: 'RolloutHalted',
          action: 'Rollout',
          note: `the fleet rollout of template ${this.revision} halted here: this platform ${halt.reason}; no other platform gets the template until \`sentiment-operator fleet resume\``,
        })
        .catch(() => undefined);
    }
    // Held platforms show the halt in their status.
    for (const key of this.plan?.pending ?? []) this.deps.enqueue(key);
  }

  /** A halted rollout looks for a resume; an admitted wave is checked against its deadline. */
  private async poll(): Promise<void> {
    if (this.state.halted) {
      const cm = await this.read().catch(() => undefined);
      const saved = parseState(cm);
      if (saved?.revision === this.revision && !saved.halted) {
        this.base = cm;
        this.state = saved;
        this.deps.log.info({ acknowledged: saved.acknowledged }, 'fleet rollout resumed by a person');
        for (const key of this.plan?.pending ?? []) this.deps.enqueue(key);
      }
    }
    this.replan();
  }

  private async read(): Promise<StateConfigMap | undefined> {
    try {
      return await this.deps.client.get<StateConfigMap>(statePath(this.options.namespace));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One write at a time, each against the version the last one returned. */
  private save(state: RolloutState): Promise<void> {
    this.writing = this.writing.then(async () => {
      const body = stateConfigMap(this.options.namespace, state, this.base);
      try {
        this.base = this.base
          ? await this.deps.client.write<StateConfigMap>('update', 'ConfigMap', {
              method: 'PUT',
              path: statePath(this.options.namespace),
              body,
            })
          : await this.deps.client.create(body);
      } catch (err) {
        // Changed by a person meanwhile (a resume): read it again; the next plan decides afresh.
        this.base = await this.read().catch(() => undefined);
        this.deps.log.warn({ err: (err as Error).message }, 'could not save the fleet rollout state');
      }
    });
    return this.writing;
  }
}

function member(p: SentimentPlatform, isCanary: (p: SentimentPlatform) => boolean): FleetMember {
  const status = p.status;
  return {
    key: keyOf(p),
    canary: isCanary(p),
    fresh: status?.observedGeneration === undefined,
    paused: p.spec?.paused === true,
    specChanged:
      status?.observedGeneration !== undefined && status.observedGeneration !== p.metadata.generation,
    ...(status?.templateRevision && { revision: status.templateRevision }),
    ...(status?.phase && { phase: status.phase }),
    ...(status?.phase === 'Degraded' && {
      degradedReason: findCondition(status.conditions, 'Degraded')?.reason,
    }),
  };
}
