// Objects every platform has regardless of profile: its ServiceAccount and its ConfigMap.
import { createHash } from 'node:crypto';
import * as kplus from 'cdk8s-plus-28';
import type { Chart } from 'cdk8s';
import {
  ENV,
  HTTP_PORT,
  POSTGRES_BUDGET,
  IRSA_ROLE_ANNOTATION,
  SERVICE_PORT,
  componentName,
  ingressMode,
  type ResolvedSpec,
  type TenantIdentity,
} from '@sentiment/crds';
import type { SynthOptions } from './context.js';
import { objectLabels } from './labels.js';

/** The non-secret settings of the workloads (connection URLs stay in Secrets). */
export function configData(
  name: string,
  namespace: string,
  spec: ResolvedSpec,
  tenant: TenantIdentity,
  options: SynthOptions = {},
  uid?: string,
): Record<string, string> {
  const data: Record<string, string> = {
    [ENV.platform]: name,
    [ENV.namespace]: namespace,
    // The Ingress's load balancer (one hop) appends the client's address to X-Forwarded-For; without an
    // Ingress nothing in front of the API does, and a client could write the header itself.
    [ENV.trustedProxyHops]: ingressMode(spec.ingress) === 'none' ? '0' : '1',
    [ENV.port]: String(HTTP_PORT),
    [ENV.dbPoolSize]: String(POSTGRES_BUDGET.poolSize),
    [ENV.mlUrl]: `http://${componentName(name, 'ml')}:${SERVICE_PORT}`,
    [ENV.opensearchIndexPrefix]: tenant.opensearchIndexPrefix,
    [ENV.redisKeyPrefix]: tenant.redisKeyPrefix,
    [ENV.llmProvider]: spec.llm.provider,
  };
  // Known to the operator (the object it reconciles) and to `render` of an object read from the cluster;
  // without it the API refuses to start (workloads/api config.ts).
  if (uid !== undefined) data[ENV.platformUid] = uid;
  if (spec.data.opensearch.endpoint !== undefined) data[ENV.opensearchUrl] = spec.data.opensearch.endpoint;
  if (options.dashboardOrigins?.length) data[ENV.corsOrigins] = options.dashboardOrigins.join(',');
  if (spec.llm.provider === 'bedrock') {
    data[ENV.bedrockModelId] = spec.llm.bedrock.modelId;
    data[ENV.awsRegion] = spec.llm.bedrock.region;
  } else if (spec.llm.provider === 'self-hosted') {
    data[ENV.llmBaseUrl] = `http://${componentName(name, 'llm')}:${SERVICE_PORT}/v1`;
    data[ENV.llmModel] = spec.llm.selfHosted.model;
  }
  return data;
}

/** Short digest of the config, stamped on pod templates: a changed ConfigMap rolls the pods. */
export function configDigest(data: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export function platformConfigMap(chart: Chart, name: string, data: Record<string, string>): kplus.ConfigMap {
  return new kplus.ConfigMap(chart, 'config', {
    metadata: { name: `${name}-config`, labels: objectLabels(name, 'platform') },
    data,
  });
}

export function platformServiceAccount(chart: Chart, name: string, spec: ResolvedSpec): kplus.ServiceAccount {
  return irsaServiceAccount(chart, 'service-account', {
    name,
    labels: objectLabels(name, 'platform'),
    roleArn: spec.serviceAccount.iamRoleArn,
  });
}

/** A ServiceAccount of platform pods, with the IAM role IRSA gives them when there is one. */
export function irsaServiceAccount(
  chart: Chart,
  id: string,
  o: { name: string; labels: Record<string, string>; roleArn?: string },
): kplus.ServiceAccount {
  return new kplus.ServiceAccount(chart, id, {
    metadata: {
      name: o.name,
      labels: o.labels,
      ...(o.roleArn && { annotations: { [IRSA_ROLE_ANNOTATION]: o.roleArn } }),
    },
    // Platform pods never call the Kubernetes API; IRSA mounts its own projected token regardless.
    automountToken: false,
  });
}
