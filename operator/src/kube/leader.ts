import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClient } from './client.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /**
   * A leader steps down once this long has passed since the start of its last successful renew, whatever
   * its pending request does; each attempt is aborted by then. Must be < leaseDurationMs: the gap is the
   * margin that keeps a standby from taking over before the old leader has stopped.
   */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  /** Called once, synchronously, when leadership is lost; the elector does not campaign again. */
  onStoppedLeading: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: a lease is
 * expired when its record has not changed for leaseDuration as observed by *our* clock (never
 * comparing clocks across machines); updates carry resourceVersion, so two candidates cannot both win.
 *
 * A standby takes the lease no earlier than leaseDuration after the last renew was stored, and a renew is
 * stored no earlier than it was sent; the leader steps down renewDeadline after sending its last
 * successful renew, on a timer of its own. So the two never lead at once, even when a renew hangs.
 */
export class LeaderElector {
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  /** The step-down timer, set renewDeadline after the start of the last successful renew. */
  private deadline: NodeJS.Timeout | undefined;
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Aborts the pending acquire or renew. */
  private attempt: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
  ) {
    const { leaseDurationMs: lease, renewDeadlineMs: deadline, retryPeriodMs: retry } = options;
    if (!(retry > 0 && retry < deadline && deadline < lease)) {
      throw new Error(
        `leader election needs 0 < retryPeriodMs < renewDeadlineMs < leaseDurationMs, got ${retry}, ${deadline}, ${lease}`,
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /**
   * Stops campaigning. A leader releases the lease so a standby takes over without waiting for expiry,
   * unless `release` is false: the caller cannot vouch that its writes are over, so it lets the lease expire.
   */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    const wasLeading = this.leading;
    this.halt('stopped');
    if (!wasLeading || !release) return;
    const signal = AbortSignal.timeout(this.options.renewDeadlineMs);
    try {
      const lease = await this.read(signal);
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 };
        await this.write('PUT', lease, signal);
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the leader lease');
    }
  }

  private halt(why: string): void {
    this.stopped = true;
    this.leading = false;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.attempt?.abort(new Error(`leader election ${why}`));
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.halt('lost the lease');
    this.log.error({ identity: this.options.identity, reason }, 'lost the leader lease');
    this.options.onStoppedLeading();
  }

  private path(name?: string): string {
    const { namespace } = this.options;
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  // Raw requests, unlike client-node's typed calls, can be aborted: a hung lease call must not hang us.
  private async read(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.client.get<V1Lease>(this.path(this.options.name), signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async write(method: 'POST' | 'PUT', lease: V1Lease, signal: AbortSignal): Promise<void> {
    await this.client.write(method === 'POST' ? 'create' : 'update', 'Lease', {
      method,
      path: method === 'POST' ? this.path() : this.path(this.options.name),
      body: lease,
      signal,
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const attempt = new AbortController();
    this.attempt = attempt;
    const sentAt = Date.now();
    // A leader's attempt ends at its deadline at the latest (stepDown aborts it); a candidate's as long.
    const timeoutMs = this.leading ? this.validUntil - sentAt : this.options.renewDeadlineMs;
    const timeout = setTimeout(
      () => attempt.abort(new Error(`lease request got no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew(attempt.signal);
    } catch (err) {
      if (!this.stopped) this.log.warn({ err: (err as Error).message }, 'leader election attempt failed');
    } finally {
      clearTimeout(timeout);
    }
    // Stepped down or stopped while the request was pending: its outcome no longer counts.
    if (this.stopped) return;
    // From when the renew was sent, not answered: the API server may have stored it at any moment between.
    const validUntil = sentAt + this.options.renewDeadlineMs;
    // An answer that comes after the deadline it would set gives no time to lead.
    if (acquired && Date.now() < validUntil) {
      this.validUntil = validUntil;
      this.client.allowWritesUntil(validUntil);
      clearTimeout(this.deadline);
      this.deadline = setTimeout(
        () => this.stepDown(`no renew succeeded within ${this.options.renewDeadlineMs} ms`),
        this.validUntil - Date.now(),
      );
      if (!this.leading) {
        this.leading = true;
        const { identity, namespace, name } = this.options;
        this.log.info({ identity, lease: { namespace, name } }, 'became leader');
        this.options.onStartedLeading();
      }
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodMs);
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    // Lease times are MicroTime: the API server rejects the 3-digit fractions of Date#toISOString.
    const now = new V1MicroTime();
    const { identity, namespace, name } = this.options;
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    const lease = await this.read(signal);
    if (!lease) {
      try {
        await this.write(
          'POST',
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
          signal,
        );
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
    if (held) {
      // Someone else holds it: whatever our deadline says, we no longer lead.
      this.stepDown(`the lease is held by ${holder}`);
      return false;
    }
    const changingHolder = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: now,
      ...((changingHolder || !spec.acquireTime) && { acquireTime: now }),
      ...(changingHolder && { leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await this.write('PUT', lease, signal);
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    return true;
  }
}
