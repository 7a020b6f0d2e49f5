import {
  CoordinationV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, FIELD_MANAGER, PLURAL } from '@sentiment/crds';
import type { OperatorMetrics } from './metrics.js';
import { kubeRequest } from './raw.js';
import { namespacedPath, objectPath } from './resources.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HTTP status of a client-node error, if it carries one. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/**
 * Every write the operator makes goes through here, so each one is counted (the steady-state test and
 * the benchmark read the count) and uses our own field manager.
 */
export class KubeClient {
  readonly custom: CustomObjectsApi;
  readonly events: EventsV1Api;
  readonly coordination: CoordinationV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly metrics: OperatorMetrics,
    readonly fieldManager: string = FIELD_MANAGER,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.events = kc.makeApiClient(EventsV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  countWrite(verb: string, kind: string): void {
    this.metrics.apiWrites.inc({ verb, kind });
  }

  /** Server-side apply, forcing ownership of the fields we declare (we are their only rightful owner). */
  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    this.countWrite('apply', obj.kind ?? 'unknown');
    return kubeRequest<T>(this.kc, {
      method: 'PATCH',
      path: pathOf(obj),
      query: { fieldManager: this.fieldManager, force: 'true' },
      // JSON is YAML: the apply content type takes it as it is.
      contentType: PatchStrategy.ServerSideApply,
      body: obj,
    });
  }

  /** Create only: unlike apply, an object that already exists is left as it is (409 AlreadyExists). */
  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    this.countWrite('create', obj.kind ?? 'unknown');
    return kubeRequest<T>(this.kc, {
      method: 'POST',
      path: namespacedPath(obj.apiVersion!, obj.kind!, obj.metadata!.namespace!),
      query: { fieldManager: this.fieldManager },
      body: obj,
    });
  }

  /** Deletes with background propagation; an object already gone is not an error. */
  async delete(obj: KubernetesObject): Promise<void> {
    this.countWrite('delete', obj.kind ?? 'unknown');
    try {
      await kubeRequest(this.kc, {
        method: 'DELETE',
        path: pathOf(obj),
        body: { propagationPolicy: 'Background' },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Merge patch guarded by resourceVersion: fails with 409 if the object changed since it was read. */
  async patchMetadata(obj: KubernetesObject, metadata: Record<string, unknown>): Promise<KubernetesObject> {
    this.countWrite('patch', obj.kind ?? 'unknown');
    return kubeRequest(this.kc, {
      method: 'PATCH',
      path: pathOf(obj),
      query: { fieldManager: this.fieldManager },
      contentType: PatchStrategy.MergePatch,
      body: { metadata: { resourceVersion: obj.metadata?.resourceVersion, ...metadata } },
    });
  }

  async patchPlatformStatus(namespace: string, name: string, status: unknown): Promise<void> {
    this.countWrite('patch', 'SentimentPlatform/status');
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: API_GROUP,
        version: API_VERSION,
        plural: PLURAL,
        namespace,
        name,
        body: { status },
        fieldManager: this.fieldManager,
      },
      mergePatch,
    );
  }
}

function pathOf(obj: KubernetesObject): string {
  return objectPath(obj.apiVersion!, obj.kind!, obj.metadata!.namespace!, obj.metadata!.name!);
}
