// The ingest worker: the API image in worker mode, pulling jobs from Redis. It serves only its metrics
// (on the HTTP port, for the tenant's ServiceMonitor), so it has no probes; its autoscaler is
// worker-scaling.ts's.
import * as kplus from 'cdk8s-plus-28';
import { HTTP_PORT, WORKER_ARGS } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { platformDeployment, restrictedSecurityContext } from './pod.js';
import { containerResources } from './resources.js';

export function worker(
  ctx: SynthContext,
  env: Record<string, kplus.EnvValue>,
  volumeMounts: kplus.VolumeMount[] = [],
): kplus.Deployment {
  const w = ctx.spec.worker;
  return platformDeployment(ctx, {
    component: 'worker',
    // An autoscaler (worker-scaling.ts) owns the count: a replicas field would reset it on every apply.
    replicas: w.autoscaling.enabled ? undefined : w.replicas,
    capacity: w.capacity,
    containers: [
      {
        name: 'worker',
        image: w.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: [...WORKER_ARGS],
        ports: [{ name: 'http', number: HTTP_PORT }],
        envFrom: [kplus.Env.fromConfigMap(ctx.configMap)],
        envVariables: env,
        // A copy: cdk8s-plus appends the container's later mounts (/tmp) to the array it is given.
        volumeMounts: [...volumeMounts],
        resources: containerResources(w.resources),
        securityContext: restrictedSecurityContext(),
      },
    ],
  });
}
