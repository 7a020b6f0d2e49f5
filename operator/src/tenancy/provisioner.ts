import {
  DATA_SECRET_KEYS,
  OPERATOR_ADMIN_URL_ENV,
  tenantIdentity,
  POSTGRES_BUDGET,
  connectionLimit,
  redisScalerValues,
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
import {
  OpenSearchSecurityUnavailable,
  dropOpenSearchTenant,
  ensureOpenSearchTenant,
  releaseOpenSearchTenant,
} from './opensearch.js';
import {
  dropPostgresTenant,
  ensurePostgresTenant,
  releasePostgresTenant,
  tenantPostgresUrl,
} from './postgres.js';
import {
  dropElastiCacheUser,
  elastiCacheUserExists,
  ensureElastiCacheUser,
  type ElastiCacheUsersConfig,
} from './elasticache-users.js';
import { DataServiceError, ExplainedError } from './failure.js';
import type { TenantRef } from './ownership.js';
import {
  claimRedisTenant,
  deleteRedisKeys,
  dropRedisUser,
  ensureRedisTenant,
  forgetRedisOwner,
  mayDropRedisTenant,
  redisAccessString,
  redisTenantExists,
  releaseRedisTenant,
} from './redis.js';

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
export class DataServiceConfigError extends ExplainedError {}

/**
 * The error a data-service call ends in, as status and events show it: ours (ExplainedError) as it is, a
 * driver's as a DataServiceError (failure.ts), which keeps the service's own text out of status.
 */
function publicError(service: DataService, err: unknown, context?: string): Error {
  return err instanceof ExplainedError || err instanceof DataServiceError
    ? err
    : new DataServiceError(service, err, context);
}

export interface TeardownResult {
  removed: DataService[];
  /** Slices left alone because their owner record names another platform. */
  notOwned: DataService[];
}

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
      if (!isAuthenticationFailure(err)) throw publicError(service, err);
      // Refused: the secret may have been rotated since it was read; read it again once.
      const fresh = await this.admin.url(service, { refresh: true });
      try {
        return await fn(fresh);
      } catch (again) {
        throw publicError(
          service,
          again,
          isAuthenticationFailure(again)
            ? "refused the operator's admin credentials, also after reading them again"
            : undefined,
        );
      }
    }
  }

  identity(tenant: TenantRef): TenantIdentity {
    return tenantIdentity(tenant.namespace, tenant.name, tenant.naming);
  }

  /** Idempotent: creates what is missing, re-asserts what exists, reuses passwords found in `existing`. */
  async ensure(
    tenant: TenantRef,
    spec: Pick<ResolvedSpec, 'data' | 'api' | 'worker'>,
    existing: Record<string, string> = {},
  ): Promise<ProvisionResult> {
    const services = servicesToProvision(spec.data);
    this.checkConfigured(services);
    const id = this.identity(tenant);
    const secretData: Record<string, string> = {};
    const tenancy: TenancyStatus = {};
    if (services.includes('postgres')) {
      const password = passwordFrom(existing[DATA_SECRET_KEYS.postgres]);
      secretData[DATA_SECRET_KEYS.postgres] = await this.asAdmin('postgres', async (adminUrl) => {
        await ensurePostgresTenant(adminUrl, tenant, id.id, password, {
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
      secretData[DATA_SECRET_KEYS.redis] = await this.asAdmin('redis', async (adminUrl) => {
        await claimRedisTenant(adminUrl, tenant, id.id, () => this.redisUserExists(adminUrl, id));
        if (elastiCache) {
          await ensureElastiCacheUser(elastiCache, {
            userId: id.elastiCacheUserId,
            userName: id.id,
            password,
            accessString: redisAccessString(id.redisKeyPrefix),
            passwordChanged: previous === undefined,
          });
        } else {
          await ensureRedisTenant(adminUrl, id.id, password, id.redisKeyPrefix);
        }
        return withCredentials(adminUrl, id.id, password).toString();
      });
      Object.assign(secretData, redisScalerValues(secretData[DATA_SECRET_KEYS.redis]!));
      tenancy.redisUser = id.id;
    }
    if (services.includes('opensearch')) {
      const password = passwordFrom(existing[DATA_SECRET_KEYS.opensearch]);
      try {
        secretData[DATA_SECRET_KEYS.opensearch] = await this.asAdmin('opensearch', async (adminUrl) => {
          await ensureOpenSearchTenant(
            adminUrl,
            tenant,
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
    tenant: TenantRef,
    data: ResolvedData,
    existing: Record<string, string>,
  ): ProvisionResult | undefined {
    const services = servicesToProvision(data);
    const id = this.identity(tenant);
    const secretData: Record<string, string> = {};
    const tenancy: TenancyStatus = {};
    for (const s of services) {
      const url = existing[DATA_SECRET_KEYS[s]];
      if (!url) return undefined;
      secretData[DATA_SECRET_KEYS[s]] = url;
    }
    if (services.includes('postgres')) tenancy.database = id.id;
    if (services.includes('redis')) {
      // Derived, not read: a Secret written before the worker's KEDA scaling gains them on its next apply.
      Object.assign(secretData, redisScalerValues(secretData[DATA_SECRET_KEYS.redis]!));
      tenancy.redisUser = id.id;
    }
    if (services.includes('opensearch')) {
      tenancy.opensearchIndexPrefix = id.opensearchIndexPrefix;
    }
    return { secretData, tenancy, provisioned: services };
  }

  /**
   * Removes what ensure() created for this platform; services the tenant brought itself are never touched,
   * nor a slice whose owner record names another platform (`notOwned`).
   */
  async teardown(tenant: TenantRef, data: ResolvedData): Promise<TeardownResult> {
    const services = this.provisionedServices(data);
    const id = this.identity(tenant);
    const result: TeardownResult = { removed: [], notOwned: [] };
    const done = (service: DataService, dropped: boolean) =>
      (dropped ? result.removed : result.notOwned).push(service);
    if (services.includes('postgres'))
      done('postgres', await this.asAdmin('postgres', (url) => dropPostgresTenant(url, tenant, id.id)));
    if (services.includes('redis')) {
      const elastiCache = this.config.elastiCache;
      const dropped = await this.asAdmin('redis', async (url) => {
        if (!(await mayDropRedisTenant(url, tenant, id.id, () => this.redisUserExists(url, id))))
          return false;
        if (elastiCache) await dropElastiCacheUser(elastiCache, id.elastiCacheUserId);
        else await dropRedisUser(url, id.id);
        await deleteRedisKeys(url, id.redisKeyPrefix);
        await forgetRedisOwner(url, id.id);
        return true;
      });
      done('redis', dropped);
    }
    if (services.includes('opensearch')) {
      done(
        'opensearch',
        await this.asAdmin('opensearch', (url) =>
          dropOpenSearchTenant(url, tenant, id.id, id.opensearchIndexPrefix),
        ),
      );
    }
    return result;
  }

  /** retainOnDelete: the slices stay, recorded as free for the next platform of the same namespace/name. */
  async release(tenant: TenantRef, data: ResolvedData): Promise<void> {
    const services = this.provisionedServices(data);
    const id = this.identity(tenant);
    if (services.includes('postgres'))
      await this.asAdmin('postgres', (url) => releasePostgresTenant(url, tenant, id.id));
    if (services.includes('redis'))
      await this.asAdmin('redis', (url) => releaseRedisTenant(url, tenant, id.id));
    if (services.includes('opensearch'))
      await this.asAdmin('opensearch', (url) => releaseOpenSearchTenant(url, tenant, id.id));
  }

  /**
   * The services teardown and release must reach: a slice in a service the operator has no admin access to
   * (any more) cannot be removed, and skipping it would leave a live login behind, so that is an error.
   */
  private provisionedServices(data: ResolvedData): DataService[] {
    const services = servicesToProvision(data);
    const unreachable = services.filter((s) => !this.isConfigured(s));
    if (unreachable.length) {
      throw new DataServiceConfigError(
        `the operator has no admin access to the shared ${unreachable.join(', ')} (${unreachable.map((s) => OPERATOR_ADMIN_URL_ENV[s]).join(', ')}, or the chart's platform.${unreachable[0]}), so it cannot remove the tenant's slice there`,
      );
    }
    return services;
  }

  private redisUserExists(adminUrl: string, id: TenantIdentity): Promise<boolean> {
    const elastiCache = this.config.elastiCache;
    return elastiCache
      ? elastiCacheUserExists(elastiCache, id.elastiCacheUserId)
      : redisTenantExists(adminUrl, id.id);
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
