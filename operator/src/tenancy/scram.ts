// A SCRAM-SHA-256 verifier (RFC 5802/7677, as PostgreSQL stores it in pg_authid): the operator sends it in
// place of the password, so CREATE/ALTER ROLE never carries the plaintext — not on the wire, not in a
// statement log (RDS logs DDL when log_statement includes it).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default iteration count (scram_iterations). */
const ITERATIONS = 4096;

export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  // PostgreSQL applies SASLprep to the password; the operator's passwords are base64url, which it leaves as is.
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
