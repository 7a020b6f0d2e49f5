// Where the operator's admin credentials for the shared data services come from: URLs handed to it directly
// (self-managed services, a Kubernetes Secret), or the Secrets Manager secrets the CDK app creates for RDS,
// ElastiCache and OpenSearch, read when first needed and read again when a service refuses them (rotation).
// Credentials never reach a log or a status message: errors name the secret, never its value.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { OPERATOR_MANAGED_ENV, type DATA_SECRET_KEYS } from '@sentiment/crds';
import { ExplainedError } from './failure.js';

export type DataService = keyof typeof DATA_SECRET_KEYS;

export interface AdminCredentials {
  /** The services this source can give admin access to (known without I/O). */
  readonly services: ReadonlySet<DataService>;
  /** The admin URL of a service; `refresh` reads it anew (after the service refused the last one). */
  url(service: DataService, options?: { refresh?: boolean }): Promise<string>;
}

/** Admin URLs given as they are (OPERATOR_*_ADMIN_URL). */
export function staticAdminCredentials(urls: Partial<Record<DataService, string>>): AdminCredentials {
  const services = new Set((Object.keys(urls) as DataService[]).filter((s) => urls[s]));
  return {
    services,
    url: async (service) => {
      const url = urls[service];
      if (!url) throw new ExplainedError(`no admin URL for ${service}`);
      return url;
    },
  };
}

/** The data services of a CDK-built environment: endpoints, and the secrets with their admin credentials. */
export interface ManagedDataServices {
  postgres?: { host: string; port: number; secretArn: string };
  redis?: { host: string; port: number; secretArn: string; userGroupId: string };
  opensearch?: { endpoint: string; secretArn: string };
}

/** Reads ManagedDataServices from the operator's environment; a service given in part is an error. */
export function managedDataServicesFromEnv(env: NodeJS.ProcessEnv): ManagedDataServices {
  const E = OPERATOR_MANAGED_ENV;
  const group = <K extends string>(
    service: string,
    names: Record<K, string>,
  ): Record<K, string> | undefined => {
    const values = Object.fromEntries(
      Object.entries<string>(names).map(([k, n]) => [k, env[n] ?? '']),
    ) as Record<K, string>;
    const missing = Object.entries<string>(names).filter(([k]) => !values[k as K]);
    if (missing.length === Object.keys(names).length) return undefined;
    if (missing.length) {
      throw new Error(
        `the managed ${service} is configured in part: ${missing.map(([, n]) => n).join(', ')} missing`,
      );
    }
    return values;
  };
  const port = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new Error(`${name} must be a port number, got "${v}"`);
    return n;
  };
  const pg = group('postgres', {
    host: E.postgresHost,
    port: E.postgresPort,
    secretArn: E.postgresSecretArn,
  });
  const redis = group('redis', {
    host: E.redisHost,
    port: E.redisPort,
    secretArn: E.redisSecretArn,
    userGroupId: E.redisUserGroupId,
  });
  const os = group('opensearch', { endpoint: E.opensearchEndpoint, secretArn: E.opensearchSecretArn });
  return {
    ...(pg && { postgres: { ...pg, port: port(E.postgresPort, pg.port) } }),
    ...(redis && { redis: { ...redis, port: port(E.redisPort, redis.port) } }),
    ...(os && { opensearch: os }),
  };
}

/** The secret could not be read or does not hold what the service needs: the message says which and why. */
export class AdminSecretError extends ExplainedError {}

/**
 * Admin URLs built from Secrets Manager secrets in the shapes the CDK app writes, each JSON with username
 * and password: RDS's generated secret, the ElastiCache RBAC user of the operator, the OpenSearch master
 * user. Each is cached until `refresh`.
 */
export function secretsManagerAdminCredentials(
  client: SecretsManagerClient,
  managed: ManagedDataServices,
): AdminCredentials {
  const services = new Set((Object.keys(managed) as DataService[]).filter((s) => managed[s]));
  const cache = new Map<DataService, Promise<string>>();
  const read = async (service: DataService, arn: string): Promise<string> => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined) throw new AdminSecretError(`secret ${arn} has no SecretString`);
      return out.SecretString;
    } catch (err) {
      if (err instanceof AdminSecretError) throw err;
      const e = err as Error;
      throw new AdminSecretError(
        `could not read the ${service} admin secret ${arn}: ${e.name}: ${e.message}`,
      );
    }
  };
  const userAndPassword = (service: DataService, arn: string, secret: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(secret);
    } catch {
      parsed = undefined;
    }
    const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      throw new AdminSecretError(
        `the ${service} admin secret ${arn} is not JSON with "username" and "password"`,
      );
    }
    return { username, password };
  };
  const build = async (service: DataService): Promise<string> => {
    if (service === 'postgres') {
      const m = managed.postgres!;
      const { username, password } = userAndPassword(service, m.secretArn, await read(service, m.secretArn));
      const url = new URL(`postgres://${m.host}:${m.port}/postgres`);
      url.username = username;
      url.password = password;
      // RDS: TLS, verified against the CA bundle the operator trusts (dataServices.caBundle).
      url.searchParams.set('sslmode', 'verify-full');
      return url.toString();
    }
    if (service === 'redis') {
      const m = managed.redis!;
      const { username, password } = userAndPassword(service, m.secretArn, await read(service, m.secretArn));
      // ElastiCache with in-transit encryption required and RBAC: TLS, the operator's own user.
      const url = new URL(`rediss://${m.host}:${m.port}`);
      url.username = username;
      url.password = password;
      return url.toString();
    }
    const m = managed.opensearch!;
    const { username, password } = userAndPassword(service, m.secretArn, await read(service, m.secretArn));
    const url = new URL(m.endpoint);
    url.username = username;
    url.password = password;
    return url.toString().replace(/\/$/, '');
  };
  return {
    services,
    url: (service, options) => {
      if (!services.has(service))
        return Promise.reject(new ExplainedError(`no managed ${service} is configured`));
      const cached = options?.refresh ? undefined : cache.get(service);
      if (cached) return cached;
      const url = build(service);
      cache.set(service, url);
      // A failed read is not cached: the next reconcile reads again (a fixed IAM policy, a new secret).
      url.catch(() => cache.get(service) === url && cache.delete(service));
      return url;
    },
  };
}

/** The service refused the admin credentials themselves (not a network or permission problem). */
export function isAuthenticationFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; meta?: { statusCode?: number } };
  // PostgreSQL: invalid_password, invalid_authorization_specification.
  if (e.code === '28P01' || e.code === '28000') return true;
  // Redis: AUTH refused, or a command before AUTH.
  if (typeof e.message === 'string' && /^(WRONGPASS|NOAUTH)\b/.test(e.message)) return true;
  // OpenSearch security plugin.
  return e.meta?.statusCode === 401;
}
