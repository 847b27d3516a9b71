/**
 * Passwords for service accounts, and their `{SSHA}` userPassword values (salted SHA-1, the
 * scheme every OpenLDAP build understands: base64(SHA1(password ‖ salt) ‖ salt)). The hash is
 * computed here, so the password itself never travels in an add or modify and is never stored by
 * the server. SHA-1 is fast, but the passwords are 32 random bytes: guessing one from its hash is
 * a 2^256 search, not a dictionary attack.
 */
import crypto from 'node:crypto';

const SCHEME = '{SSHA}';
const SALT_BYTES = 8;
const DIGEST_BYTES = 20;

/** A fresh password: 32 random bytes, base64url (43 characters, no padding). */
export function newPassword(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** The `{SSHA}` value for `password`; a random 8-byte salt unless one is given (tests). */
export function sshaHash(password: string, salt: Buffer = crypto.randomBytes(SALT_BYTES)): string {
  const digest = crypto.createHash('sha1').update(password, 'utf8').update(salt).digest();
  return SCHEME + Buffer.concat([digest, salt]).toString('base64');
}

/** Whether an `{SSHA}` value (as slappasswd or this module writes it) matches `password`. */
export function sshaMatches(value: string, password: string): boolean {
  if (!value.startsWith(SCHEME)) return false;
  const raw = Buffer.from(value.slice(SCHEME.length), 'base64');
  if (raw.length <= DIGEST_BYTES) return false;
  const digest = raw.subarray(0, DIGEST_BYTES);
  const again = crypto
    .createHash('sha1')
    .update(password, 'utf8')
    .update(raw.subarray(DIGEST_BYTES))
    .digest();
  return crypto.timingSafeEqual(digest, again);
}
