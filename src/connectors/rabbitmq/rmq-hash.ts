/**
 * RabbitMQ's internal password hash (rabbit_password_hashing_sha256): base64(salt ‖ SHA-256(salt ‖
 * UTF-8 password)) with a 4-byte random salt. Passwords are generated and hashed here, and only the
 * hash is sent (`password_hash` in PUT /api/users/{user}), so the plaintext never reaches the
 * broker, its logs or its definitions export.
 */
import crypto from 'node:crypto';

export const HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

/** 24 random bytes, base64url: 192 bits, printable, no characters that need escaping anywhere. */
export function newPassword(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function passwordHash(password: string, salt: Uint8Array = crypto.randomBytes(4)): string {
  if (salt.length !== 4) throw new TypeError('a RabbitMQ password salt is 4 bytes');
  const digest = crypto.createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** The salt of a sha256 hash (for checking a hash against a password in tests and verify). */
export function saltOf(hash: string): Buffer | undefined {
  const bytes = Buffer.from(hash, 'base64');
  return bytes.length === 36 && bytes.toString('base64') === hash ? bytes.subarray(0, 4) : undefined;
}

/** Whether `hash` is the sha256 hash of `password` (constant-time on the digest). */
export function hashMatches(hash: string, password: string): boolean {
  const salt = saltOf(hash);
  if (salt === undefined) return false;
  const expected = Buffer.from(passwordHash(password, salt), 'base64');
  return crypto.timingSafeEqual(expected, Buffer.from(hash, 'base64'));
}
