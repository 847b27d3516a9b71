/**
 * Names and quoting for MariaDB account statements (CREATE/ALTER/DROP USER, GRANT, REVOKE, KILL),
 * which the connector builds as text: the server takes no placeholders for account names or
 * hashes there. Every name may be attacker-controlled (it comes from requests and the inventory),
 * so it is validated against a closed pattern *and* quoted. The patterns admit no quote, backtick,
 * backslash or NUL, so the quoting is the same whether or not the server runs with
 * NO_BACKSLASH_ESCAPES (mysql2's own escaping relies on backslashes and is used for nothing here).
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';

/** A MariaDB account: `'user'@'host'`. */
export interface Account {
  readonly user: string;
  readonly host: string;
}

/** User names Custos manages: lower case, at most 80 characters (MariaDB's limit). */
const USER = /^[a-z_][a-z0-9_.-]{0,79}$/;
/** Host parts (lower case, as the server compares them): `%`, a name or address with `%`/`_`
 * wildcards, or address/netmask. */
const HOST = /^(?:[a-z0-9%_.:-]{1,255}|[0-9.]{7,15}\/[0-9.]{7,15})$/;
/** Accounts of the server itself, never managed whatever the inventory says. */
const RESERVED_USERS = new Set(['root', 'mysql', 'mariadb.sys', 'public', 'none']);

export function assertUser(name: string): string {
  if (!USER.test(name) || RESERVED_USERS.has(name)) {
    throw new CustosError(
      'INPUT_INVALID',
      'a MariaDB user name must match [a-z_][a-z0-9_.-]{0,79} and not be a server account',
      { details: { name: name.slice(0, 80) } },
    );
  }
  return name;
}

export function isHost(host: string): boolean {
  return HOST.test(host);
}

export function assertHost(host: string): string {
  if (!isHost(host)) {
    throw new CustosError('INPUT_INVALID', 'a MariaDB account host must be %, a host name, address or mask', {
      details: { host: host.slice(0, 80) },
    });
  }
  return host;
}

/**
 * The account a step acts on. The identity's externalId is `user` or `user@host`; a bare user
 * takes `params.host`, else the system's default host (connection `accountHost`, else `%`). A
 * `params.host` that contradicts the externalId is refused, never silently preferred.
 */
export function accountOf(
  externalId: string,
  params: Readonly<Record<string, JsonValue>>,
  defaultHost: string,
): Account {
  const at = externalId.indexOf('@');
  const user = assertUser(at < 0 ? externalId : externalId.slice(0, at));
  const named = at < 0 ? undefined : assertHost(externalId.slice(at + 1));
  const param = params['host'];
  if (param !== undefined && typeof param !== 'string') {
    throw new CustosError('INPUT_INVALID', 'params.host must be a string');
  }
  if (param !== undefined && named !== undefined && param !== named) {
    throw new CustosError('INPUT_INVALID', `params.host contradicts the account ${externalId}`);
  }
  return { user, host: assertHost(named ?? param ?? defaultHost) };
}

/** How list() names an account: the bare user when it is on the system's default host. */
export function externalIdOf(account: Account, defaultHost: string): string {
  return account.host === defaultHost ? account.user : `${account.user}@${account.host}`;
}

/** `'text'` with quotes doubled; refuses backslashes and NUL (see the file comment). */
export function quoteString(text: string): string {
  if (/[\\\0]/.test(text)) throw new TypeError('string literal holds a backslash or NUL');
  return `'${text.replaceAll("'", "''")}'`;
}

/** `` `name` `` with backticks doubled. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError('identifier is empty or holds NUL');
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `'user'@'host'` as account statements take it. */
export function accountSql(account: Account): string {
  return `${quoteString(account.user)}@${quoteString(account.host)}`;
}

/** How prior states and messages name an account: `'user'@'host'` (as SHOW GRANTS would). */
export function granteeOf(account: Account): string {
  return `'${account.user}'@'${account.host}'`;
}
