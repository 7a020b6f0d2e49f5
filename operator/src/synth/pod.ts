// Pod-level policy shared by every platform workload: the `restricted` Pod Security Standard,
// placement by capacity (contract labels), stable labels without cdk8s' address hash.
import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  EKS_CAPACITY_TYPE_LABEL,
  FARGATE_CAPACITY_VALUE,
  LABELS,
  NODE_POOLS,
  SERVICE_PORT,
  componentName,
  type Capacity,
  type ComponentName,
} from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels, selectorLabels, type Component } from './labels.js';

/** Unprivileged uid/gid for every container: numeric so the kubelet can verify runAsNonRoot for any image. */
const UID = 65532;

export const CONFIG_DIGEST_ANNOTATION = 'sentiment.analytics.dev/config-digest';

/** Container securityContext meeting `restricted` (plus a read-only root unless the image cannot cope). */
export function restrictedSecurityContext(
  readOnlyRootFilesystem = true,
): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: UID,
    group: UID,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/** Literal environment values as container env (what cdk8s-plus takes). */
export function literalEnv(env: Record<string, string>): Record<string, kplus.EnvValue> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]));
}

/** The AWS SDK's region and endpoint for a pod that reaches AWS with its IRSA identity, where set. */
export function awsSdkEnv(o: { region?: string; endpointUrl?: string }): Record<string, string> {
  return {
    ...(o.region && { AWS_REGION: o.region }),
    ...(o.endpointUrl && { AWS_ENDPOINT_URL: o.endpointUrl }),
  };
}

export interface WorkloadOptions {
  component: ComponentName;
  /** Omitted when an autoscaler owns the count, so reapplying does not fight it. */
  replicas?: number;
  capacity: Capacity;
  /** Node labels an EC2-placed pod requires besides the capacity type; default: the general node pool. */
  nodeLabels?: Record<string, string>;
  /** With capacity spot: spot nodes preferred, on-demand ones allowed (when spot has none to give). */
  onDemandFallback?: boolean;
  containers: kplus.ContainerProps[];
  initContainers?: kplus.ContainerProps[];
  volumes?: kplus.Volume[];
  /** Default: the platform's (ctx.serviceAccount). */
  serviceAccount?: kplus.IServiceAccount;
  strategy?: kplus.DeploymentStrategy;
  terminationGracePeriod?: kplus.DeploymentProps['terminationGracePeriod'];
}

/** The pod-level part of every platform pod (Deployments and Jobs): identity, labels, security context. */
export function platformPodProps(
  ctx: SynthContext,
  component: Exclude<Component, 'platform'>,
  capacity: Capacity,
) {
  const podLabels: Record<string, string> = { ...objectLabels(ctx.name, component) };
  // Fargate profiles select pods by this label; EC2 pods are steered by node labels instead.
  if (capacity === 'fargate') podLabels[LABELS.capacity] = FARGATE_CAPACITY_VALUE;
  return {
    podMetadata: { labels: podLabels, annotations: { [CONFIG_DIGEST_ANNOTATION]: ctx.configDigest } },
    serviceAccount: ctx.serviceAccount,
    automountServiceAccountToken: false,
    securityContext: {
      ensureNonRoot: true,
      user: UID,
      group: UID,
      fsGroup: UID,
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
  } satisfies Partial<kplus.DeploymentProps & kplus.JobProps>;
}

/**
 * What every platform pod gets once its containers exist: a writable /tmp (root filesystems are
 * read-only), no cdk8s address label, and its placement by capacity.
 */
export function finishPlatformPod(
  ctx: SynthContext,
  workload: kplus.Deployment | kplus.Job | kplus.CronJob,
  o: {
    component: string;
    capacity: Capacity;
    nodeLabels?: Record<string, string>;
    onDemandFallback?: boolean;
    templatePath: string;
  },
): void {
  const tmp = kplus.Volume.fromEmptyDir(ctx.chart, `${o.component}-tmp`, 'tmp', {
    sizeLimit: Size.gibibytes(1),
  });
  for (const c of [...workload.initContainers, ...workload.containers]) c.mount('/tmp', tmp);
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.remove(`${o.templatePath}/metadata/labels/cdk8s.io~1metadata.addr`),
  );
  if (o.capacity !== 'fargate') {
    // One attract call: cdk8s-plus turns each call into a separate (ORed) node selector term.
    // The pool keeps tenants off the system group, the on-demand nodes of the cluster's controllers.
    const capacityType = o.capacity === 'spot' ? 'SPOT' : 'ON_DEMAND';
    const fallback = o.capacity === 'spot' && o.onDemandFallback === true;
    const labels = {
      ...(!fallback && { [EKS_CAPACITY_TYPE_LABEL]: capacityType }),
      ...(o.nodeLabels ?? { [LABELS.nodePool]: NODE_POOLS.general }),
    };
    workload.scheduling.attract(
      kplus.Node.labeled(...Object.entries(labels).map(([k, v]) => kplus.NodeLabelQuery.is(k, v))),
    );
    // Spot preferred; the cluster autoscaler's priority expander (infra) grows a spot group first and an
    // on-demand one when spot cannot be had.
    if (fallback)
      workload.scheduling.attract(
        kplus.Node.labeled(kplus.NodeLabelQuery.is(EKS_CAPACITY_TYPE_LABEL, capacityType)),
        {
          weight: 100,
        },
      );
  }
}

export function platformDeployment(ctx: SynthContext, o: WorkloadOptions): kplus.Deployment {
  const deployment = new kplus.Deployment(ctx.chart, o.component, {
    metadata: { name: componentName(ctx.name, o.component), labels: objectLabels(ctx.name, o.component) },
    ...platformPodProps(ctx, o.component, o.capacity),
    // cdk8s would select on a hashed address label; select on the contract labels instead.
    select: false,
    replicas: o.replicas,
    ...(o.serviceAccount && { serviceAccount: o.serviceAccount }),
    initContainers: o.initContainers,
    containers: o.containers,
    volumes: o.volumes,
    strategy: o.strategy,
    terminationGracePeriod: o.terminationGracePeriod,
  });
  deployment.select(kplus.LabelSelector.of({ labels: selectorLabels(ctx.name, o.component) }));
  finishPlatformPod(ctx, deployment, { ...o, templatePath: '/spec/template' });
  return deployment;
}

/** ClusterIP Service on SERVICE_PORT → the component's port, selecting by contract labels. */
export function platformService(
  ctx: SynthContext,
  component: ComponentName,
  targetPort: number,
): kplus.Service {
  const service = new kplus.Service(ctx.chart, `${component}-service`, {
    metadata: { name: componentName(ctx.name, component), labels: objectLabels(ctx.name, component) },
    ports: [{ name: 'http', port: SERVICE_PORT, targetPort }],
  });
  for (const [k, v] of Object.entries(selectorLabels(ctx.name, component))) service.selectLabel(k, v);
  return service;
}
