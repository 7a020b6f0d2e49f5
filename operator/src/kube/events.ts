import { randomBytes } from 'node:crypto';
import { V1MicroTime, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { WritesFencedError, type KubeClient } from './client.js';

export const REPORTING_CONTROLLER = 'sentiment.analytics.dev/operator';

export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/**
 * Records events.k8s.io/v1 Events on an object (what `kubectl describe sp` and `kubectl events` show).
 * Only significant transitions are recorded, so there is no per-reconcile event spam; a failure to
 * record is logged and never fails a reconcile, except fenced writes: they must stop it.
 */
export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  async record(regarding: KubernetesObject, event: EventRecord): Promise<void> {
    const namespace = regarding.metadata?.namespace ?? 'default';
    try {
      await this.client.write('create', 'Event', {
        method: 'POST',
        path: `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          // client-go's naming: <object>.<hex time>; generateName would need a name ending in [a-z0-9].
          metadata: {
            name: `${regarding.metadata?.name ?? 'object'}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`,
            namespace,
          },
          eventTime: new V1MicroTime(),
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note.slice(0, 1024),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.instance,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: regarding.metadata?.name,
            namespace,
            uid: regarding.metadata?.uid,
            resourceVersion: regarding.metadata?.resourceVersion,
          },
        },
      });
    } catch (err) {
      if (err instanceof WritesFencedError) throw err;
      this.log.warn({ err: (err as Error).message, reason: event.reason }, 'could not record event');
    }
  }
}
