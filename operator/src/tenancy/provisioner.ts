import {
  DATA_SECRET_KEYS,
  tenantIdentity,
  POSTGRES_BUDGET,
  connectionLimit,
  type ResolvedData,
  type ResolvedSpec,
  type TenancyStatus,
  type TenantIdentity,
} from '@sentiment/crds';
import { passwordFrom, withCredentials } from './credentials.js';
import { OpenSearchSecurityUnavailable, dropOpenSearchTenant, ensureOpenSearchTenant } from './opensearch.js';
import { dropPostgresTenant, ensurePostgresTenant, tenantPostgresUrl } from './postgres.js';
import { dropRedisTenant, ensureRedisTenant } from './redis.js';

/** The shared data services the operator provisions tenants in (admin credentials: the operator's only). */
export interface DataServicesConfig {
  postgresAdminUrl?: string;
  redisAdminUrl?: string;
  opensearchUrl?: string;
  opensearchReplicas?: number;
}

export type DataService = keyof typeof DATA_SECRET_KEYS;

/** A spec asks for a service the operator cannot provide: a user error, reported in status, not retried hot. */
export class DataServiceConfigError extends Error {}

export interface ProvisionResult {
  /** Data of the tenant's Secret (connection URLs with the tenant's own credentials). */
  secretData: Record<string, string>;
  tenancy: TenancyStatus;
  provisioned: DataService[];
}

/**
 * Services the tenant did not bring itself, so the operator provisions them: no secretRef, and for
 * OpenSearch no endpoint of its own either.
 */
export function servicesToProvision(data: ResolvedData): DataService[] {
  return (Object.keys(DATA_SECRET_KEYS) as DataService[]).filter(
    (s) => !data[s].secretRef && !(s === 'opensearch' && data.opensearch.endpoint),
  );
}

export class TenancyProvisioner {
  constructor(private readonly config: DataServicesConfig) {}

  identity(namespace: string, name: string): TenantIdentity {
    return tenantIdentity(namespace, name);
  }

  /** Idempotent: creates what is missing, re-asserts what exists, reuses passwords found in `existing`. */
  async ensure(
    namespace: string,
    name: string,
    spec: Pick<ResolvedSpec, 'data' | 'api' | 'worker'>,
    existing: Record<string, string> = {},
  ): Promise<ProvisionResult> {
    const services = servicesToProvision(spec.data);
    this.checkConfigured(services);
    const id = this.identity(namespace, name);
    const secretData: Record<string, string> = {};
    const tenancy: TenancyStatus = {};
    if (services.includes('postgres')) {
      const password = passwordFrom(existing[DATA_SECRET_KEYS.postgres]);
      await ensurePostgresTenant(this.config.postgresAdminUrl!, id.id, password, {
        connections: connectionLimit(spec),
        statementTimeoutMs: POSTGRES_BUDGET.statementTimeoutMs,
        idleInTransactionTimeoutMs: POSTGRES_BUDGET.idleInTransactionTimeoutMs,
      });
      secretData[DATA_SECRET_KEYS.postgres] = tenantPostgresUrl(
        this.config.postgresAdminUrl!,
        id.id,
        password,
      );
      tenancy.database = id.id;
    }
    if (services.includes('redis')) {
      const password = passwordFrom(existing[DATA_SECRET_KEYS.redis]);
      await ensureRedisTenant(this.config.redisAdminUrl!, id.id, password, id.redisKeyPrefix);
      secretData[DATA_SECRET_KEYS.redis] = withCredentials(
        this.config.redisAdminUrl!,
        id.id,
        password,
      ).toString();
      tenancy.redisUser = id.id;
    }
    if (services.includes('opensearch')) {
      const endpoint = this.config.opensearchUrl!;
      const password = passwordFrom(existing[DATA_SECRET_KEYS.opensearch]);
      try {
        await ensureOpenSearchTenant(
          endpoint,
          id.id,
          id.opensearchIndexPrefix,
          password,
          this.config.opensearchReplicas ?? 0,
        );
      } catch (err) {
        if (err instanceof OpenSearchSecurityUnavailable) throw new DataServiceConfigError(err.message);
        throw err;
      }
      secretData[DATA_SECRET_KEYS.opensearch] = withCredentials(endpoint, id.id, password)
        .toString()
        .replace(/\/$/, '');
      tenancy.opensearchIndexPrefix = id.opensearchIndexPrefix;
    }
    return { secretData, tenancy, provisioned: services };
  }

  /**
   * What ensure() would return, rebuilt from an existing Secret without touching the data services;
   * undefined when the Secret lacks a key, so the caller provisions.
   */
  fromExisting(
    namespace: string,
    name: string,
    data: ResolvedData,
    existing: Record<string, string>,
  ): ProvisionResult | undefined {
    const services = servicesToProvision(data);
    const id = this.identity(namespace, name);
    const secretData: Record<string, string> = {};
    const tenancy: TenancyStatus = {};
    for (const s of services) {
      const url = existing[DATA_SECRET_KEYS[s]];
      if (!url) return undefined;
      secretData[DATA_SECRET_KEYS[s]] = url;
    }
    if (services.includes('postgres')) tenancy.database = id.id;
    if (services.includes('redis')) {
      tenancy.redisUser = id.id;
    }
    if (services.includes('opensearch')) {
      tenancy.opensearchIndexPrefix = id.opensearchIndexPrefix;
    }
    return { secretData, tenancy, provisioned: services };
  }

  /** Removes what ensure() created; services the tenant brought itself are never touched. */
  async teardown(namespace: string, name: string, data: ResolvedData): Promise<DataService[]> {
    const services = servicesToProvision(data).filter((s) => this.isConfigured(s));
    const id = this.identity(namespace, name);
    if (services.includes('postgres')) await dropPostgresTenant(this.config.postgresAdminUrl!, id.id);
    if (services.includes('redis'))
      await dropRedisTenant(this.config.redisAdminUrl!, id.id, id.redisKeyPrefix);
    if (services.includes('opensearch')) {
      await dropOpenSearchTenant(this.config.opensearchUrl!, id.id, id.opensearchIndexPrefix);
    }
    return services;
  }

  private isConfigured(service: DataService): boolean {
    if (service === 'postgres') return !!this.config.postgresAdminUrl;
    if (service === 'redis') return !!this.config.redisAdminUrl;
    return !!this.config.opensearchUrl;
  }

  private checkConfigured(services: DataService[]): void {
    const envOf: Record<DataService, string> = {
      postgres: 'OPERATOR_POSTGRES_ADMIN_URL',
      redis: 'OPERATOR_REDIS_ADMIN_URL',
      opensearch: 'OPERATOR_OPENSEARCH_URL',
    };
    const missing = services.filter((s) => !this.isConfigured(s));
    if (missing.length) {
      throw new DataServiceConfigError(
        `no shared ${missing.join(', ')} is configured in the operator (${missing.map((s) => envOf[s]).join(', ')}); ` +
          `set spec.data.${missing[0]}.secretRef to bring your own, or configure the operator`,
      );
    }
  }
}
