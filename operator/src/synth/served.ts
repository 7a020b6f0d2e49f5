// What api and ml share: a Deployment with probes, a Service, and — as a served component — an
// autoscaler and a disruption budget.
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HEALTH_PATHS, HTTP_PORT, componentName, type ResolvedServed } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels, selectorLabels } from './labels.js';
import { platformDeployment, platformService, restrictedSecurityContext } from './pod.js';
import { containerResources } from './resources.js';

export interface ServedOptions {
  component: 'api' | 'ml';
  spec: ResolvedServed;
  env: Record<string, kplus.EnvValue>;
  /** Whole Secrets exposed as environment, before the ConfigMap so the operator's settings win a clash. */
  secrets?: kplus.ISecret[];
  volumeMounts?: kplus.VolumeMount[];
}

export function servedComponent(
  ctx: SynthContext,
  o: ServedOptions,
): { deployment: kplus.Deployment; service: kplus.Service } {
  const http = (path: string, failureThreshold: number, periodSeconds: number) =>
    kplus.Probe.fromHttpGet(path, {
      port: HTTP_PORT,
      failureThreshold,
      periodSeconds: Duration.seconds(periodSeconds),
    });
  const deployment = platformDeployment(ctx, {
    component: o.component,
    replicas: o.spec.autoscaling.enabled ? undefined : o.spec.replicas,
    capacity: o.spec.capacity,
    containers: [
      {
        name: o.component,
        image: o.spec.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ name: 'http', number: HTTP_PORT }],
        envFrom: [
          ...(o.secrets ?? []).map((s) => kplus.Env.fromSecret(s)),
          kplus.Env.fromConfigMap(ctx.configMap),
        ],
        envVariables: o.env,
        // A copy: cdk8s-plus appends the container's later mounts (/tmp) to the array it is given.
        volumeMounts: [...(o.volumeMounts ?? [])],
        resources: containerResources(o.spec.resources),
        securityContext: restrictedSecurityContext(),
        // Fargate pods take ~1 min to get a node: the startup budget is generous, the steady-state checks quick.
        startup: http(HEALTH_PATHS.live, 30, 5),
        liveness: http(HEALTH_PATHS.live, 3, 10),
        readiness: http(HEALTH_PATHS.ready, 3, 5),
      },
    ],
  });
  if (o.spec.capacity !== 'fargate') {
    // Spread replicas over zones so one zone (or one spot reclaim wave) does not take the component
    // down. Soft: a single-zone node group still schedules. Fargate places pods itself.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selectorLabels(ctx.name, o.component) },
        },
      ]),
    );
  }
  const service = platformService(ctx, o.component, HTTP_PORT);
  if (o.spec.autoscaling.enabled) cpuAutoscaler(ctx, o.component, deployment, o.spec.autoscaling);
  disruptionBudget(ctx, o.component);
  return { deployment, service };
}

/**
 * Drains (a spot rebalance, a node upgrade, the cluster autoscaler) take one pod of the component at a time.
 * maxUnavailable 1 rather than minAvailable: with one replica a minAvailable budget would block every drain.
 */
export function disruptionBudget(ctx: SynthContext, component: 'api' | 'ml' | 'llm'): void {
  new kplus.k8s.KubePodDisruptionBudget(ctx.chart, `${component}-pdb`, {
    metadata: { name: componentName(ctx.name, component), labels: objectLabels(ctx.name, component) },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: selectorLabels(ctx.name, component) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

/** An HPA of a component on average CPU utilisation (the served components', and the worker's without KEDA). */
export function cpuAutoscaler(
  ctx: SynthContext,
  component: 'api' | 'worker' | 'ml',
  deployment: kplus.Deployment,
  a: { min: number; max: number; targetCPU: number },
): void {
  new kplus.HorizontalPodAutoscaler(ctx.chart, `${component}-hpa`, {
    metadata: { name: componentName(ctx.name, component), labels: objectLabels(ctx.name, component) },
    target: deployment,
    minReplicas: a.min,
    maxReplicas: a.max,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(a.targetCPU))],
  });
}
