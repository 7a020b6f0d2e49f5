// The shared data services `run` provisions tenants in, from the operator's environment: admin URLs
// (OPERATOR_*_ADMIN_URL, a Kubernetes Secret) and the managed services of a CDK-built environment
// (OPERATOR_*_HOST/PORT/ENDPOINT and *_SECRET_ARN, read from Secrets Manager with the pod's AWS identity).
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { OPERATOR_ADMIN_URL_ENV } from '@sentiment/crds';
import {
  managedDataServicesFromEnv,
  secretsManagerAdminCredentials,
  staticAdminCredentials,
  type AdminCredentials,
  type DataService,
} from '../tenancy/admin-credentials.js';
import type { ElastiCacheUsersConfig } from '../tenancy/elasticache-users.js';
import { CommandError } from './manifests.js';

export interface DataServicesFromEnv {
  admin: AdminCredentials;
  /** Each configured service and where its admin credentials come from (for the start-up log). */
  sources: Partial<Record<DataService, 'admin-url' | 'secrets-manager'>>;
  /** Set when the shared Redis is ElastiCache with RBAC (a managed Redis): tenant users via its API. */
  elastiCache?: ElastiCacheUsersConfig;
}

export function dataServicesFromEnv(env: NodeJS.ProcessEnv): DataServicesFromEnv {
  let managed;
  try {
    managed = managedDataServicesFromEnv(env);
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
  const urls = Object.fromEntries(
    Object.entries(OPERATOR_ADMIN_URL_ENV).map(([service, name]) => [service, env[name] || undefined]),
  ) as Partial<Record<DataService, string>>;
  const twice = (Object.keys(managed) as DataService[]).filter((s) => urls[s]);
  if (twice.length) {
    throw new CommandError(
      `${twice.join(', ')}: configured both by admin URL (${twice.map((s) => OPERATOR_ADMIN_URL_ENV[s]).join(', ')}) ` +
        'and as a managed service with a Secrets Manager secret; configure each service once',
      2,
    );
  }
  const direct = staticAdminCredentials(urls);
  // The SDK's default chain: IRSA or EKS Pod Identity in the cluster, AWS_REGION, AWS_ENDPOINT_URL if set.
  // No client without a managed service: an operator of self-managed services never loads AWS config.
  const fromSecrets = Object.keys(managed).length
    ? secretsManagerAdminCredentials(new SecretsManagerClient({}), managed)
    : staticAdminCredentials({});
  const sources: DataServicesFromEnv['sources'] = {};
  for (const s of direct.services) sources[s] = 'admin-url';
  for (const s of fromSecrets.services) sources[s] = 'secrets-manager';
  return {
    sources,
    ...(managed.redis && {
      elastiCache: { client: new ElastiCacheClient({}), userGroupId: managed.redis.userGroupId },
    }),
    admin: {
      services: new Set([...direct.services, ...fromSecrets.services]),
      url: (service, options) => (direct.services.has(service) ? direct : fromSecrets).url(service, options),
    },
  };
}
