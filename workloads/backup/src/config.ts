// Configuration comes from the environment the operator sets (crds BACKUP_ENV, DATABASE_URL, AWS_REGION,
// PGSSLROOTCERT). It is validated once at start so a misconfigured Job fails with every problem listed,
// on one line, naming variables only: DATABASE_URL carries the tenant's password.
import { BACKUP_ENV } from '@sentiment/crds';
import { z } from 'zod';

export const COMMANDS = ['backup', 'restore'] as const;
export type Command = (typeof COMMANDS)[number];

interface CommonConfig {
  databaseUrl: string;
  bucket: string;
  /** The tenant's prefix, ending in `/`: nothing outside it is read, written or deleted. */
  prefix: string;
  /** AWS_REGION, or AWS_DEFAULT_REGION. */
  region: string;
  /** libpq's PGSSLROOTCERT (a CA file, or `system`), which the `pg` client is given too. */
  pgSslRootCert: string | undefined;
}

export interface BackupConfig extends CommonConfig {
  command: 'backup';
  retain: number;
  pgDump: string;
}

export interface RestoreConfig extends CommonConfig {
  command: 'restore';
  /** An object key under the prefix, or LATEST_BACKUP (crds). */
  key: string;
  pgRestore: string;
  psql: string;
}

export type Config = BackupConfig | RestoreConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresUrl = z.string().refine((v) => {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'a postgres:// or postgresql:// URL');

const common = {
  DATABASE_URL: postgresUrl,
  [BACKUP_ENV.bucket]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  // The trailing slash keeps tenant `a` from matching tenant `ab`'s keys.
  [BACKUP_ENV.prefix]: z
    .string()
    .regex(/^[^/].*\/$/, 'a key prefix that ends in "/" and does not start with it (namespace/tenant-id/)'),
  // Required here so a missing region is in the list rather than a later SDK error; the SDK reads only
  // AWS_REGION, and some webhooks set only AWS_DEFAULT_REGION, so either is taken (parse).
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  PGSSLROOTCERT: z.string().min(1).optional(),
};

const backupSchema = z.object({
  ...common,
  [BACKUP_ENV.retain]: z.coerce.number().int().min(1).max(100_000),
  PG_DUMP: z.string().min(1).default('pg_dump'),
});

const restoreSchema = z.object({
  ...common,
  [BACKUP_ENV.key]: z.string().min(1),
  PG_RESTORE: z.string().min(1).default('pg_restore'),
  PSQL: z.string().min(1).default('psql'),
});

type Env = Record<string, string | undefined>;

function parse<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(config)');
        return `${name}: ${env[name] === undefined ? 'missing' : issue.message}`;
      });
  if (env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined)
    problems.push('AWS_REGION: missing (nor is AWS_DEFAULT_REGION set)');
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/** Validates `env` for `command`; throws ConfigError naming every bad or missing variable (never a value). */
export function loadConfig(command: Command, env: Env = process.env): Config {
  // Empty strings from templated manifests mean "unset".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const common = (data: z.output<typeof backupSchema | typeof restoreSchema>): CommonConfig => ({
    databaseUrl: data.DATABASE_URL,
    bucket: data.BACKUP_BUCKET,
    prefix: data.BACKUP_PREFIX,
    // parse() has checked that one of them is set.
    region: data.AWS_REGION ?? data.AWS_DEFAULT_REGION ?? '',
    pgSslRootCert: data.PGSSLROOTCERT,
  });
  if (command === 'backup') {
    const data = parse(backupSchema, cleaned);
    return { ...common(data), command, retain: data.BACKUP_RETAIN, pgDump: data.PG_DUMP };
  }
  const data = parse(restoreSchema, cleaned);
  return { ...common(data), command, key: data.BACKUP_KEY, pgRestore: data.PG_RESTORE, psql: data.PSQL };
}
