// Deleting a platform: its children go with their owner references; the tenant's data in the shared
// services is removed (or released, retainOnDelete) here, and only then is the finalizer dropped.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  FINALIZER,
  SKIP_DATA_CLEANUP_ANNOTATION,
  dataSecretName,
  resolveSpec,
  type ResolvedData,
  type SentimentPlatform,
} from '@sentiment/crds';
import { isNotFound } from '../kube/client.js';
import type { HandlerResult } from '../kube/workqueue.js';
import { failureLogFields } from '../tenancy/failure.js';
import { DataServiceConfigError } from '../tenancy/provisioner.js';
import { childStore, type ReconcilerDeps } from './deps.js';
import { tenantRef } from './provision.js';
import type { StatusWriter } from './status-writer.js';

type FinalizeDeps = Pick<
  ReconcilerDeps,
  'client' | 'children' | 'metrics' | 'events' | 'now' | 'provisioner' | 'backupRoles' | 'log'
>;

/** On delete: clean up what owner references cannot reach, unless retained, then release the object. */
export async function finalize(
  deps: FinalizeDeps,
  status: StatusWriter,
  platform: SentimentPlatform & KubernetesObject,
): Promise<HandlerResult | void> {
  const finalizers = platform.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return;
  const { namespace = '', name } = platform.metadata;
  const data = bestEffortData(platform);
  const ref = platform as KubernetesObject;
  if (platform.metadata.annotations?.[SKIP_DATA_CLEANUP_ANNOTATION] === 'true') {
    await deps.events.record(ref, {
      type: 'Warning',
      reason: 'DataCleanupSkipped',
      action: 'Finalize',
      note: `${SKIP_DATA_CLEANUP_ANNOTATION} is set: the tenant's data (and its backup role, if any) was left as it is, removing it is the platform team's`,
    });
  } else {
    try {
      await cleanUpData(deps, platform, data);
      // Its backups stay (a platform re-created under the name restores them); the role to reach them goes.
      if (await deps.backupRoles?.removeFor(namespace, name, true))
        await deps.events.record(ref, {
          type: 'Normal',
          reason: 'BackupRoleDeleted',
          action: 'Finalize',
          note: "the platform's backup role was deleted; its backups are kept in the bucket",
        });
    } catch (err) {
      const provisioned =
        childStore(deps, 'v1', 'Secret')?.get(dataSecretName(name), namespace) !== undefined;
      // No admin access and nothing was ever provisioned (no data Secret): there is nothing to clean up.
      if (!(err instanceof DataServiceConfigError && !provisioned)) {
        const message =
          `could not ${data.retainOnDelete ? 'release' : 'remove'} the tenant's data: ${(err as Error).message}. ` +
          `The SentimentPlatform stays until that succeeds; to delete it without touching its data, annotate it ${SKIP_DATA_CLEANUP_ANNOTATION}=true`;
        deps.log.warn({ platform: `${namespace}/${name}`, ...failureLogFields(err) }, 'cleanup failed');
        await status.write(platform, { problem: { reason: 'CleanupFailed', message } });
        // Not retried hot without admin access: configuring it, or the annotation, is a change that requeues.
        if (err instanceof DataServiceConfigError) return { terminal: { reason: 'CleanupFailed', message } };
        throw err;
      }
    }
  }
  try {
    await deps.client.patchMetadata(platform, {
      finalizers: finalizers.filter((f) => f !== FINALIZER),
    });
  } catch (err) {
    // Already gone is fine; a conflict is thrown so the key is retried against the fresher cache.
    if (!isNotFound(err)) throw err;
  }
  deps.log.info({ platform: `${namespace}/${name}`, retained: data.retainOnDelete }, 'finalized');
}

/** The tenant's data on delete: released for a later platform (retainOnDelete) or removed, with events. */
async function cleanUpData(
  deps: FinalizeDeps,
  platform: SentimentPlatform,
  data: ResolvedData,
): Promise<void> {
  const ref = platform as KubernetesObject;
  if (data.retainOnDelete) {
    await deps.provisioner.release(tenantRef(platform), data);
    await deps.events.record(ref, {
      type: 'Normal',
      reason: 'DataRetained',
      action: 'Finalize',
      note: 'spec.data.retainOnDelete is true: the tenant database, Redis user and indices are kept, free for the next SentimentPlatform of this namespace and name',
    });
  } else {
    const { removed, notOwned } = await deps.provisioner.teardown(tenantRef(platform), data);
    if (removed.length) {
      await deps.events.record(ref, {
        type: 'Normal',
        reason: 'DataServicesCleanedUp',
        action: 'Finalize',
        note: `removed the tenant's ${removed.join(', ')}`,
      });
    }
    if (notOwned.length) {
      await deps.events.record(ref, {
        type: 'Warning',
        reason: 'DataNotOwned',
        action: 'Finalize',
        note: `left the ${notOwned.join(', ')} slice under this platform's tenant id alone: its owner record names another SentimentPlatform`,
      });
    }
  }
}

/** Deleting an object whose spec no longer validates must still clean up: fall back to the raw spec. */
function bestEffortData(platform: SentimentPlatform): ResolvedData {
  try {
    return resolveSpec(platform.spec).data;
  } catch {
    const d = platform.spec.data;
    const ref = (s?: { secretRef?: { name: string; key?: string } }, key = '') =>
      s?.secretRef ? { secretRef: { name: s.secretRef.name, key: s.secretRef.key ?? key } } : {};
    return {
      postgres: ref(d?.postgres),
      redis: ref(d?.redis),
      opensearch: {
        ...ref(d?.opensearch),
        ...(d?.opensearch?.endpoint && { endpoint: d.opensearch.endpoint }),
      },
      retainOnDelete: d?.retainOnDelete ?? false,
    };
  }
}
