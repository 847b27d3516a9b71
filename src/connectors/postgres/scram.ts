/**
 * SCRAM-SHA-256 verifiers computed in Node (RFC 5802 §3, RFC 7677), in PostgreSQL's stored format
 * `SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>`, so that the password
 * itself never reaches the server, its statement log or pg_stat_statements.
 *
 * PostgreSQL applies SASLprep to the password before hashing; the passwords generated here are
 * ASCII (base64url), for which SASLprep is the identity.
 */
import crypto from 'node:crypto';

export const SCRAM_ITERATIONS = 4096;

export function scramVerifier(
  password: string,
  salt: Buffer = crypto.randomBytes(16),
  iterations = SCRAM_ITERATIONS,
): string {
  const salted = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** Splits a stored verifier into its salt and iteration count (to recompute it in tests). */
export function parseVerifier(verifier: string): { iterations: number; salt: Buffer } | undefined {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.exec(verifier);
  if (m === null) return undefined;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2]!, 'base64') };
}

/** A fresh password: 32 random bytes, base64url (43 ASCII characters, SASLprep-neutral). */
export function newPassword(): string {
  return crypto.randomBytes(32).toString('base64url');
}
