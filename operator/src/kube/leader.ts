import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClient } from './client.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** A leader that cannot renew within this long steps down (must be < leaseDurationMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: a lease is
 * expired when its record has not changed for leaseDuration as observed by *our* clock (never
 * comparing clocks across machines); updates carry resourceVersion, so two candidates cannot both win.
 */
export class LeaderElector {
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over without waiting for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec = {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          ...(lease.spec.acquireTime && { acquireTime: new V1MicroTime(lease.spec.acquireTime) }),
          ...(lease.spec.renewTime && { renewTime: new V1MicroTime(lease.spec.renewTime) }),
        };
        this.client.countWrite('update', 'Lease');
        await this.client.coordination.replaceNamespacedLease({ ...this.ref(), body: lease });
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the leader lease');
    }
  }

  private ref() {
    return { namespace: this.options.namespace, name: this.options.name };
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.client.coordination.readNamespacedLease(this.ref());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'leader election attempt failed');
    }
    const now = Date.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.log.info({ identity: this.options.identity, lease: this.ref() }, 'became leader');
        this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.options.renewDeadlineMs) {
      this.leading = false;
      this.log.error({ identity: this.options.identity }, 'lost the leader lease');
      this.options.onStoppedLeading();
      return;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    // Lease times are MicroTime: the API server rejects the 3-digit fractions of Date#toISOString.
    const now = new V1MicroTime();
    const { identity } = this.options;
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    const lease = await this.read();
    if (!lease) {
      this.client.countWrite('create', 'Lease');
      try {
        await this.client.coordination.createNamespacedLease({
          namespace: this.options.namespace,
          body: {
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}`;
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const held = holder && holder !== identity && Date.now() - this.observed.at < leaseMs;
    if (held) return false;
    const changingHolder = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: now,
      acquireTime: changingHolder || !spec.acquireTime ? now : new V1MicroTime(spec.acquireTime),
      ...(changingHolder && { leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    this.client.countWrite('update', 'Lease');
    try {
      await this.client.coordination.replaceNamespacedLease({ ...this.ref(), body: lease });
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    return true;
  }
}
