// The ingest worker: the API image in worker mode, pulling jobs from Redis. It serves only its metrics
// (on the HTTP port, for the tenant's ServiceMonitor), so it has no probes or autoscaler.
import * as kplus from 'cdk8s-plus-28';
import { HTTP_PORT, WORKER_ARGS } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { platformDeployment, restrictedSecurityContext } from './pod.js';
import { containerResources } from './resources.js';

export function worker(
  ctx: SynthContext,
  env: Record<string, kplus.EnvValue>,
  volumeMounts: kplus.VolumeMount[] = [],
): void {
  const w = ctx.spec.worker;
  platformDeployment(ctx, {
    component: 'worker',
    replicas: w.replicas,
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
