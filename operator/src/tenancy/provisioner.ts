import {
  DATA_SECRET_KEYS,
  OPERATOR_ADMIN_URL_ENV,
  tenantIdentity,
  POSTGRES_BUDGET,
  connectionLimit,
  type ResolvedData,
  type ResolvedSpec,
  type TenancyStatus,
  type TenantIdentity,
} from '@sentiment/crds';
import {
  isAuthenticationFailure,
  staticAdminCredentials,
  type AdminCredentials,
  type DataService,
} from './admin-credentials.js';
import { passwordFrom, withCredentials } from './credentials.js';
import { OpenSearchSecurityUnavailable, dropOpenSearchTenant, ensureOpenSearchTenant } from './opensearch.js';
import { dropPostgresTenant, ensurePostgresTenant, tenantPostgresUrl } from './postgres.js';
import {
  dropElastiCacheUser,
  ensureElastiCacheUser,
  type ElastiCacheUsersConfig,
} from './elasticache-users.js';
import { deleteRedisKeys, dropRedisTenant, ensureRedisTenant, redisAccessString } from './redis.js';

/**
 * The shared data services the operator provisions tenants in (admin credentials: the operator's only):
 * admin URLs given directly, or `admin`, a source such as the Secrets Manager secrets of a CDK-built
 * environment (which then replaces the URLs).
 */
export interface DataServicesConfig {
  postgresAdminUrl?: string;
  redisAdminUrl?: string;
  opensearchUrl?: string;
  admin?: AdminCredentials;
  /** The shared Redis is ElastiCache with RBAC: tenant users are made with its API, not with ACL SETUSER. */
  elastiCache?: ElastiCacheUsersConfig;
  opensearchReplicas?: number;
}

export type { DataService };

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
  private readonly admin: AdminCredentials;

  constructor(private readonly config: DataServicesConfig) {
    this.admin =
      config.admin ??
      staticAdminCredentials({
        postgres: config.postgresAdminUrl,
        redis: config.redisAdminUrl,
        opensearch: config.opensearchUrl,
      });
  }

  /**
   * Runs fn with the service's admin URL. When the service refuses those credentials, they are read again
   * once (a rotated secret) and fn retried; refused again, the error says so without the credentials.
   */
  private async asAdmin<T>(service: DataService, fn: (adminUrl: string) => Promise<T>): Promise<T> {
    // A secret that cannot be read (IAM, a deleted secret) is retried with backoff like an unreachable service:
    // fixing the policy heals every tenant without touching them.
    const url = await this.admin.url(service);
    try {
      return await fn(url);
    } catch (err) {
      if (!isAuthenticationFailure(err)) throw err;
      const fresh = await this.admin.url(service, { refresh: true });
      try {
        return await fn(fresh);
      } catch (again) {
        if (!isAuthenticationFailure(again)) throw again;
        throw new Error(
          `${service} refused the operator's admin credentials, also after reading them again: ${(again as Error).message}`,
        );
      }
    }
  }

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
      secretData[DATA_SECRET_KEYS.postgres] = await this.asAdmin('postgres', async (adminUrl) => {
        await ensurePostgresTenant(adminUrl, id.id, password, {
          connections: connectionLimit(spec),
          statementTimeoutMs: POSTGRES_BUDGET.statementTimeoutMs,
          idleInTransactionTimeoutMs: POSTGRES_BUDGET.idleInTransactionTimeoutMs,
        });
        return tenantPostgresUrl(adminUrl, id.id, password);
      });
      tenancy.database = id.id;
    }
    if (services.includes('redis')) {
      const previous = existing[DATA_SECRET_KEYS.redis];
      const password = passwordFrom(previous);
      const elastiCache = this.config.elastiCache;
      if (elastiCache) {
        await ensureElastiCacheUser(elastiCache, {
          userId: id.elastiCacheUserId,
          userName: id.id,
          password,
          accessString: redisAccessString(id.redisKeyPrefix),
          passwordChanged: previous === undefined,
        });
      }
      secretData[DATA_SECRET_KEYS.redis] = await this.asAdmin('redis', async (adminUrl) => {
        if (!elastiCache) await ensureRedisTenant(adminUrl, id.id, password, id.redisKeyPrefix);
        return withCredentials(adminUrl, id.id, password).toString();
      });
      tenancy.redisUser = id.id;
    }
    if (services.includes('opensearch')) {
      const password = passwordFrom(existing[DATA_SECRET_KEYS.opensearch]);
      try {
        secretData[DATA_SECRET_KEYS.opensearch] = await this.asAdmin('opensearch', async (adminUrl) => {
          await ensureOpenSearchTenant(
            adminUrl,
            id.id,
            id.opensearchIndexPrefix,
            password,
            this.config.opensearchReplicas ?? 0,
          );
          return withCredentials(adminUrl, id.id, password).toString().replace(/\/$/, '');
        });
      } catch (err) {
        if (err instanceof OpenSearchSecurityUnavailable) throw new DataServiceConfigError(err.message);
        throw err;
      }
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
    if (services.includes('postgres'))
      await this.asAdmin('postgres', (url) => dropPostgresTenant(url, id.id));
    if (services.includes('redis')) {
      const elastiCache = this.config.elastiCache;
      if (elastiCache) {
        await dropElastiCacheUser(elastiCache, id.elastiCacheUserId);
        await this.asAdmin('redis', (url) => deleteRedisKeys(url, id.redisKeyPrefix));
      } else {
        await this.asAdmin('redis', (url) => dropRedisTenant(url, id.id, id.redisKeyPrefix));
      }
    }
    if (services.includes('opensearch')) {
      await this.asAdmin('opensearch', (url) => dropOpenSearchTenant(url, id.id, id.opensearchIndexPrefix));
    }
    return services;
  }

  private isConfigured(service: DataService): boolean {
    return this.admin.services.has(service);
  }

  private checkConfigured(services: DataService[]): void {
    const missing = services.filter((s) => !this.isConfigured(s));
    if (missing.length) {
      throw new DataServiceConfigError(
        `no shared ${missing.join(', ')} is configured in the operator ` +
          `(${missing.map((s) => OPERATOR_ADMIN_URL_ENV[s]).join(', ')}, or the chart's platform.${missing[0]} secret); ` +
          `set spec.data.${missing[0]}.secretRef to bring your own, or configure the operator`,
      );
    }
  }
}
