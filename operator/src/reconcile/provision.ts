// The tenant's slice of the shared data services, provisioned when its Secret is missing or incomplete and
// re-asserted on a schedule; between those, rebuilt from the Secret without a request.
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  connectionLimit,
  dataSecretName,
  tenantNaming,
  type ResolvedSpec,
  type SentimentPlatform,
} from '@sentiment/crds';
import type { TenantRef } from '../tenancy/ownership.js';
import type { ProvisionResult } from '../tenancy/provisioner.js';
import { childStore, type ReconcilerDeps } from './deps.js';
import { decodeSecretData } from './objects.js';

type ProvisionDeps = Pick<ReconcilerDeps, 'children' | 'events' | 'provisioner' | 'tenancyVerifyIntervalMs'>;

export class TenantData {
  /** When the tenant's data services were last provisioned, and for which connection limit. */
  private readonly lastVerified = new Map<string, { at: number; connections: number }>();

  constructor(private readonly deps: ProvisionDeps) {}

  async provision(platform: SentimentPlatform, resolved: ResolvedSpec): Promise<ProvisionResult> {
    const { deps } = this;
    const { namespace = '', name } = platform.metadata;
    const key = `${namespace}/${name}`;
    const secret = childStore(deps, 'v1', 'Secret')?.get(dataSecretName(name), namespace);
    const existing = secret ? decodeSecretData(secret) : {};
    const known = deps.provisioner.fromExisting(tenantRef(platform), resolved.data, existing);
    const verified = this.lastVerified.get(key);
    const now = Date.now();
    // Re-provisioned on schedule, and at once when the spec changes the tenant's connection limit.
    const connections = connectionLimit(resolved);
    if (
      known &&
      verified &&
      verified.connections === connections &&
      now - verified.at < deps.tenancyVerifyIntervalMs
    )
      return known;
    const result = await deps.provisioner.ensure(tenantRef(platform), resolved, existing);
    this.lastVerified.set(key, { at: now, connections });
    if (!known && result.provisioned.length > 0) {
      await deps.events.record(platform as KubernetesObject, {
        type: 'Normal',
        reason: 'DataServicesProvisioned',
        action: 'Provision',
        note: `provisioned ${result.provisioned.join(', ')} for the tenant (credentials in Secret ${dataSecretName(name)})`,
      });
    }
    return result;
  }

  forget(key: string): void {
    this.lastVerified.delete(key);
  }
}

/** The platform as the provisioner sees it. */
export function tenantRef(platform: SentimentPlatform): TenantRef {
  const { namespace = '', name, uid = '' } = platform.metadata;
  return { namespace, name, uid, naming: tenantNaming(platform) };
}
