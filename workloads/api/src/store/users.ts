import { hashPassword } from '../auth/password.js';
import type { Role } from '../auth/tokens.js';
import type { Db } from './db.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: Role;
}

export async function findUser(db: Pick<Db, 'query'>, email: string): Promise<UserRow | null> {
  return (
    (
      await db.query<UserRow>('SELECT id, email, password_hash, role FROM users WHERE email = $1', [
        email.toLowerCase(),
      ])
    ).rows[0] ?? null
  );
}

/** The first admin comes from the bootstrap Secret; an existing account is never overwritten. */
export async function bootstrapAdmin(
  db: Pick<Db, 'query'>,
  email: string,
  password: string,
): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin') ON CONFLICT (email) DO NOTHING RETURNING id`,
    [email.toLowerCase(), await hashPassword(password)],
  );
  return r.rows.length > 0;
}

/** Replaces a password hash, unless it changed since it was read (a concurrent login stored it first). */
export async function replacePasswordHash(
  db: Pick<Db, 'query'>,
  id: string,
  oldHash: string,
  newHash: string,
): Promise<void> {
  await db.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [
    id,
    oldHash,
    newHash,
  ]);
}
