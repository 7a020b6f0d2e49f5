import pg from 'pg';
import { withCredentials } from './credentials.js';
import { scramVerifier } from './scram.js';
import {
  conflict,
  mayAdopt,
  mayDrop,
  ownerRecord,
  parseOwnerRecord,
  TenantConflictError,
  type OwnerRecord,
  type TenantRef,
} from './ownership.js';

/**
 * One database and one login role per tenant. DDL cannot take bind parameters, so identifiers and the
 * password's SCRAM verifier go through the driver's escapeIdentifier/escapeLiteral; nothing else is ever
 * interpolated.
 */
export interface PostgresLimits {
  /** Connections the role may hold at once (CONNECTION LIMIT). */
  connections: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export async function ensurePostgresTenant(
  adminUrl: string,
  tenant: TenantRef,
  id: string,
  password: string,
  limits: PostgresLimits,
): Promise<void> {
  await withClient(adminUrl, async (db) => {
    const role = db.escapeIdentifier(id);
    // The verifier, never the password: DDL text can end up in statement logs.
    const secret = db.escapeLiteral(scramVerifier(password));
    await claimRole(db, tenant, id, secret);
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
    const database = await db.query(
      'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1',
      [id],
    );
    if (database.rowCount === 0) {
      await ignoreDuplicate(db.query(`create database ${role} owner ${role}`));
    } else if (database.rows[0].owner !== id) {
      throw new TenantConflictError(
        `the Postgres database ${id} exists and belongs to role ${database.rows[0].owner}, not to the tenant's role; it is left as it is`,
      );
    }
    // Other tenants' roles may not even connect, nor any tenant to the admin's own database (on RDS the
    // master user owns `postgres`; where it does not, Postgres warns and changes nothing).
    await db.query(`revoke all on database ${role} from public`);
    await closeAdminDatabase(db);
  });
}

/**
 * Revokes PUBLIC's CONNECT on the admin's database, once: asked only while PUBLIC still has it, and a
 * concurrent revoke by another tenant's provisioning (Postgres: "tuple concurrently updated") did the work.
 */
async function closeAdminDatabase(db: pg.Client): Promise<void> {
  const { name, open } = (
    await db.query<{ name: string; open: boolean }>(
      `select current_database() as name, exists (
         select 1 from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
         where d.datname = current_database() and a.grantee = 0 and a.privilege_type = 'CONNECT'
       ) as open`,
    )
  ).rows[0]!;
  if (!open) return;
  await db.query(`revoke connect on database ${db.escapeIdentifier(name)} from public`).catch((err) => {
    if ((err as { code?: string }).code !== 'XX000') throw err;
  });
}

/**
 * The tenant's role, created with its owner record in one transaction, or an existing one this platform may
 * take: its record names it (or it was retained for it). Either way the record then names this platform.
 */
async function claimRole(db: pg.Client, tenant: TenantRef, id: string, secret: string): Promise<void> {
  const role = db.escapeIdentifier(id);
  const record = db.escapeLiteral(ownerRecord(tenant));
  for (;;) {
    const owner = await roleOwner(db, id);
    if (owner === 'absent') {
      try {
        await db.query('begin');
        await db.query(`create role ${role} login password ${secret} nosuperuser nocreatedb nocreaterole`);
        await db.query(`comment on role ${role} is ${record}`);
        await db.query('commit');
        return;
      } catch (err) {
        await db.query('rollback');
        // Another operator created it first (a failover mid-reconcile): look at its record instead.
        if ((err as { code?: string }).code === '42710') continue;
        throw err;
      }
    }
    if (!mayAdopt(owner, tenant)) throw conflict(`the Postgres role ${id}`, owner);
    await db.query(`comment on role ${role} is ${record}`);
    return;
  }
}

async function roleOwner(db: pg.Client, id: string): Promise<OwnerRecord | undefined | 'absent'> {
  const r = await db.query<{ comment: string | null }>(
    `select shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1`,
    [id],
  );
  return r.rowCount === 0 ? 'absent' : parseOwnerRecord(r.rows[0]!.comment);
}

/** Drops the tenant's database and role if they are this platform's; false when they are someone else's. */
export async function dropPostgresTenant(adminUrl: string, tenant: TenantRef, id: string): Promise<boolean> {
  return withClient(adminUrl, async (db) => {
    const owner = await roleOwner(db, id);
    if (owner === 'absent') return true;
    if (!mayDrop(owner, tenant)) return false;
    const role = db.escapeIdentifier(id);
    await db.query(`drop database if exists ${role} with (force)`);
    await db.query(`drop role if exists ${role}`);
    return true;
  });
}

/** Marks this platform's role as kept for the next platform of the same namespace/name (retainOnDelete). */
export async function releasePostgresTenant(adminUrl: string, tenant: TenantRef, id: string): Promise<void> {
  await withClient(adminUrl, async (db) => {
    const owner = await roleOwner(db, id);
    if (owner === 'absent' || !mayDrop(owner, tenant)) return;
    await db.query(
      `comment on role ${db.escapeIdentifier(id)} is ${db.escapeLiteral(ownerRecord(tenant, true))}`,
    );
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

/** Two operators racing on the same tenant (failover mid-reconcile) both run CREATE DATABASE; one loses harmlessly. */
async function ignoreDuplicate(q: Promise<unknown>): Promise<void> {
  try {
    await q;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw err;
  }
}
