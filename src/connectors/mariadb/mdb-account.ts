/**
 * An account's state as the server keeps it, read from mysql.global_priv (MariaDB ≥ 10.4: one
 * JSON document per account), and the statements that set its credential. Reading global_priv
 * needs SELECT on it: the admin compares and restores password hashes, which never leave the
 * connector (prior states carry their fingerprints only).
 */
import type { Sql } from './mdb-admin.js';
import { NATIVE_HASH, NO_PASSWORD } from './native-password.js';
import { accountSql, quoteString, type Account } from './mdb-sql.js';

export interface AccountState {
  /** The authentication string: a `*<hex>` hash, or `invalid` when no password can match. */
  readonly hash: string;
  readonly locked: boolean;
  /** Expired by `PASSWORD EXPIRE` (the server then zeroes password_last_changed). */
  readonly expired: boolean;
  /** The server's encoding: -1 the server default, 0 never, n days. */
  readonly lifetimeDays: number;
}

interface Row {
  hash: string | null;
  locked: string | null;
  changed: string | null;
  lifetime: string | null;
}

export async function readAccount(sql: Sql, account: Account): Promise<AccountState | undefined> {
  const [row] = await sql.rows<Row>(
    `SELECT JSON_VALUE(Priv, '$.authentication_string') AS hash,
            JSON_VALUE(Priv, '$.account_locked') AS locked,
            JSON_VALUE(Priv, '$.password_last_changed') AS changed,
            JSON_VALUE(Priv, '$.password_lifetime') AS lifetime
       FROM mysql.global_priv WHERE User = ? AND Host = ?`,
    [account.user, account.host],
  );
  if (row === undefined) return undefined;
  return {
    hash: row.hash ?? '',
    locked: row.locked === '1' || row.locked === 'true', // JSON_VALUE gives a JSON true as 1
    expired: row.changed === '0',
    lifetimeDays: row.lifetime === null ? -1 : Number(row.lifetime),
  };
}

/** Other hosts holding an account of the same user name (sessions are matched by user name). */
export async function otherHosts(sql: Sql, account: Account): Promise<string[]> {
  const rows = await sql.rows<{ Host: string }>(
    'SELECT Host FROM mysql.global_priv WHERE User = ? AND Host <> ?',
    [account.user, account.host],
  );
  return rows.map((r) => r.Host);
}

/**
 * `IDENTIFIED …` for a stored authentication string: a native hash is sent as such (the password is
 * never needed), `invalid` (no password) through the plugin's USING form. Anything else — an
 * empty string would mean "no password required" — is refused by the caller before this.
 */
export function identifiedBy(hash: string): string {
  if (NATIVE_HASH.test(hash)) return `IDENTIFIED BY PASSWORD ${quoteString(hash)}`;
  if (hash === NO_PASSWORD) return `IDENTIFIED VIA mysql_native_password USING ${quoteString(NO_PASSWORD)}`;
  throw new TypeError('not a mysql_native_password hash');
}

/** `PASSWORD EXPIRE DEFAULT | NEVER | INTERVAL n DAY` for the server's lifetime encoding. */
export function lifetimeSql(days: number): string {
  if (days < 0) return 'PASSWORD EXPIRE DEFAULT';
  return days === 0 ? 'PASSWORD EXPIRE NEVER' : `PASSWORD EXPIRE INTERVAL ${Math.trunc(days)} DAY`;
}

export function alterUser(account: Account, clause: string): string {
  return `ALTER USER ${accountSql(account)} ${clause}`;
}
