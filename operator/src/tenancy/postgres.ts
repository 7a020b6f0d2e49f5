import pg from 'pg';
import { withCredentials } from './credentials.js';

/**
 * One database and one login role per tenant. DDL cannot take bind parameters, so identifiers and the
 * password go through the driver's escapeIdentifier/escapeLiteral; nothing else is ever interpolated.
 */
export interface PostgresLimits {
  /** Connections the role may hold at once (CONNECTION LIMIT). */
  connections: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export async function ensurePostgresTenant(
  adminUrl: string,
  id: string,
  password: string,
  limits: PostgresLimits,
): Promise<void> {
  await withClient(adminUrl, async (db) => {
    const role = db.escapeIdentifier(id);
    const secret = db.escapeLiteral(password);
    const exists = await db.query('select 1 from pg_roles where rolname = $1', [id]);
    if (exists.rowCount === 0) {
      await ignoreDuplicate(
        db.query(`create role ${role} login password ${secret} nosuperuser nocreatedb nocreaterole`),
      );
    }
    // The Secret is the source of truth: a role that outlived a deleted Secret gets the new password.
    await db.query(
      `alter role ${role} with login password ${secret} connection limit ${Math.trunc(limits.connections)}`,
    );
    // Defaults of every session the tenant opens (a session may change its own): a statement or an idle
    // transaction that outlives them is cut off instead of holding a connection and its locks.
    await db.query(`alter role ${role} set statement_timeout = ${Math.trunc(limits.statementTimeoutMs)}`);
    await db.query(
      `alter role ${role} set idle_in_transaction_session_timeout = ${Math.trunc(limits.idleInTransactionTimeoutMs)}`,
    );
    // On RDS the admin is no superuser and may only give away a database to a role it is a member of.
    await db.query(`grant ${role} to current_user`).catch(() => undefined);
    const dbExists = await db.query('select 1 from pg_database where datname = $1', [id]);
    if (dbExists.rowCount === 0) {
      await ignoreDuplicate(db.query(`create database ${role} owner ${role}`));
    }
    // Other tenants' roles may not even connect.
    await db.query(`revoke all on database ${role} from public`);
  });
}

export async function dropPostgresTenant(adminUrl: string, id: string): Promise<void> {
  await withClient(adminUrl, async (db) => {
    const role = db.escapeIdentifier(id);
    await db.query(`drop database if exists ${role} with (force)`);
    await db.query(`drop role if exists ${role}`);
  });
}

/** Whether the tenant's database and role exist (used by tests and the cleanup check). */
export async function postgresTenantExists(
  adminUrl: string,
  id: string,
): Promise<{ role: boolean; database: boolean }> {
  return withClient(adminUrl, async (db) => {
    const role = await db.query('select 1 from pg_roles where rolname = $1', [id]);
    const database = await db.query('select 1 from pg_database where datname = $1', [id]);
    return { role: role.rowCount === 1, database: database.rowCount === 1 };
  });
}

/** Connection URL for the tenant: the admin URL's host and port, the tenant's role, password and database. */
export function tenantPostgresUrl(adminUrl: string, id: string, password: string): string {
  const url = withCredentials(adminUrl, id, password);
  url.pathname = `/${id}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** Two operators racing on the same tenant (failover mid-reconcile) both run CREATE; one loses harmlessly. */
async function ignoreDuplicate(q: Promise<unknown>): Promise<void> {
  try {
    await q;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw err;
  }
}
