// The ingest worker's autoscaler. Where the cluster serves KEDA: a ScaledObject on the number of uploads
// waiting in the worker's BullMQ queue (min may be 0: no worker pod while nothing waits), with a
// TriggerAuthentication that reads the tenant's Redis from its data Secret. Elsewhere, or when the tenant
// brings its own Redis Secret (which need not hold the separate keys KEDA reads): an HPA on CPU.
import { ApiObject } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import {
  DATA_CA,
  REDIS_SCALER_KEYS,
  componentName,
  dataSecretName,
  ingestWaitListKey,
  type TenantIdentity,
} from '@sentiment/crds';
import type { SynthContext, SynthOptions } from './context.js';
import { objectLabels } from './labels.js';
import { cpuAutoscaler } from './served.js';

export const KEDA_API_VERSION = 'keda.sh/v1alpha1';
/** The fallback HPA's CPU target: the worker's spec has none, its autoscaler being meant for the queue. */
const FALLBACK_TARGET_CPU = 70;

export function workerScaling(
  ctx: SynthContext,
  deployment: kplus.Deployment,
  tenant: TenantIdentity,
  options: Pick<SynthOptions, 'keda' | 'dataServicesCa'>,
): void {
  const a = ctx.spec.worker.autoscaling;
  if (!a.enabled) return;
  if (!options.keda || ctx.spec.data.redis.secretRef) {
    // An HPA cannot scale to zero: min 0 means one pod here (the spec warning says so).
    cpuAutoscaler(ctx, 'worker', deployment, {
      min: Math.max(1, a.min),
      max: a.max,
      targetCPU: FALLBACK_TARGET_CPU,
    });
    return;
  }
  // Without an HPA construct on it, cdk8s-plus would write its default of 2 replicas.
  deployment.markHasAutoscaler();
  const name = componentName(ctx.name, 'worker');
  const labels = objectLabels(ctx.name, 'worker');
  const secret = dataSecretName(ctx.name);
  new ApiObject(ctx.chart, 'worker-trigger-auth', {
    apiVersion: KEDA_API_VERSION,
    kind: 'TriggerAuthentication',
    metadata: { name, labels },
    spec: {
      secretTargetRef: Object.entries(REDIS_SCALER_KEYS).map(([parameter, key]) => ({
        parameter,
        name: secret,
        key,
      })),
      // A private CA (the installation's --data-ca-file): KEDA trusts only the system roots otherwise.
      ...(options.dataServicesCa && {
        configMapTargetRef: [
          { parameter: 'ca', name: `${ctx.name}${DATA_CA.configMapSuffix}`, key: DATA_CA.key },
        ],
      }),
    },
  });
  new ApiObject(ctx.chart, 'worker-scaled-object', {
    apiVersion: KEDA_API_VERSION,
    kind: 'ScaledObject',
    metadata: { name, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name },
      minReplicaCount: a.min,
      maxReplicaCount: a.max,
      triggers: [
        {
          type: 'redis',
          // KEDA takes trigger metadata as strings only.
          metadata: {
            listName: ingestWaitListKey(tenant.redisKeyPrefix),
            listLength: String(a.targetQueueLength),
            // Any waiting upload wakes a worker scaled to zero.
            activationListLength: '0',
          },
          authenticationRef: { name },
        },
      ],
    },
  });
}
