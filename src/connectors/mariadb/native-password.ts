/**
 * mysql_native_password hashes computed in Node, so that the password itself never reaches the
 * server, its general or slow query log, or its binary log: the connector sends
 * `IDENTIFIED BY PASSWORD '*<hex>'`, exactly what `PASSWORD('…')` would have stored.
 *
 * The stored form is `*` + upper-case hex of SHA1(SHA1(password)) (MariaDB "Authentication Plugin -
 * mysql_native_password"). At login the server sends a scramble and the client proves knowledge of
 * SHA1(password) without sending it, so a real login does not reveal the password either.
 */
import crypto from 'node:crypto';

/** The only hash form the connector writes or accepts back from the journal. */
export const NATIVE_HASH = /^\*[0-9A-F]{40}$/;

/**
 * What `IDENTIFIED VIA mysql_native_password USING 'invalid'` stores: not a hash, so no password
 * matches it (the revoked credential; mariadb-install-db marks root's password the same way).
 */
export const NO_PASSWORD = 'invalid';

export function nativeHash(password: string): string {
  const sha1 = (data: Buffer | string) => crypto.createHash('sha1').update(data).digest();
  return `*${sha1(sha1(Buffer.from(password, 'utf8')))
    .toString('hex')
    .toUpperCase()}`;
}

/** A fresh password: 32 random bytes, base64url (43 ASCII characters, no quoting needed anywhere). */
export function newPassword(): string {
  return crypto.randomBytes(32).toString('base64url');
}
