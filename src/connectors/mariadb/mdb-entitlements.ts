/**
 * The entitlements a mariadb step may grant or revoke (`params.entitlements`), parsed by a strict
 * grammar into grants. Attacker-controlled: they come from requests. Nothing of the text reaches
 * SQL: only privilege keywords from an allow-list and names matching a closed pattern, quoted again
 * when a statement is built (mdb-grants.ts).
 *
 *   entitlement := privileges " ON " database "." ( "*" | table )
 *   privileges  := "ALL" [" PRIVILEGES"] | privilege { "," [" "] privilege }   (keywords: any case)
 *   database    := [A-Za-z0-9_$]{1,64}        table := [A-Za-z0-9_$]{1,64}
 *
 * e.g. `SELECT ON reports.*`, `SELECT, INSERT ON app.orders`, `ALL ON app.*`.
 *
 * Only database- and table-level privileges: no `*.*` (server-wide), no GRANT OPTION, no PROXY,
 * no routine or event privileges. `ALL` expands to the allow-list of the object kind, never to
 * whatever a server version adds. `%` is not a name character, and `_` is escaped in database-level
 * grants, so an entitlement never becomes a wildcard grant on other databases. The server's own
 * databases and Custos's journal database are never granted.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';

export type GrantKind = 'database' | 'table';

/** One privilege on one database (`name` = `db`) or table (`name` = `db.table`). */
export interface Grant {
  readonly privilege: string;
  readonly on: GrantKind;
  readonly name: string;
}

const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'INDEX',
  'ALTER',
  'REFERENCES',
  'TRIGGER',
  'CREATE VIEW',
  'SHOW VIEW',
];
export const ALLOWED_PRIVILEGES: Readonly<Record<GrantKind, readonly string[]>> = {
  table: TABLE_PRIVILEGES,
  database: [...TABLE_PRIVILEGES, 'EXECUTE', 'LOCK TABLES', 'CREATE TEMPORARY TABLES'],
};

/** The server's databases and the journal's: never granted, whatever the case. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set([
  'mysql',
  'information_schema',
  'performance_schema',
  'sys',
  'custos',
]);

const NAME = '[A-Za-z0-9_$]{1,64}';
const ENTITLEMENT = new RegExp(`^(.+?) ON (${NAME})\\.(\\*|${NAME})$`, 'i');
const PRIVILEGE_LIST = /^[A-Za-z]+(?: [A-Za-z]+){0,2}(?:, ?[A-Za-z]+(?: [A-Za-z]+){0,2})*$/;

/**
 * The grants of `params.entitlements`, deduplicated in order; `undefined` when the step names
 * none (for `revoke`, that means the credential itself). `params.grants` is refused, never
 * ignored: ignoring it would turn a revoke of privileges into a revoke of the password.
 */
export function entitlementsOf(params: Readonly<Record<string, JsonValue>>): Grant[] | undefined {
  if (params['grants'] !== undefined) {
    throw invalid('params.grants is not accepted: name privileges in params.entitlements');
  }
  const list = params['entitlements'];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw invalid('params.entitlements must be a list of strings');
  const seen = new Map<string, Grant>();
  for (const item of list as readonly JsonValue[]) {
    for (const g of parseEntitlement(item)) seen.set(grantKey(g), g);
  }
  return [...seen.values()];
}

/** The grants one entitlement stands for (several for `ALL` or a list of privileges). */
export function parseEntitlement(text: JsonValue): Grant[] {
  if (typeof text !== 'string') throw invalid('every entitlement must be a string');
  if (text.length > 200) throw refused(text, 'is longer than 200 characters');
  const m = ENTITLEMENT.exec(text);
  if (m === null) throw refused(text, 'is not "<privileges> ON <database>.* | <database>.<table>"');
  const [, words, database, table] = m as unknown as [string, string, string, string];
  if (SYSTEM_DATABASES.has(database.toLowerCase())) {
    throw refused(text, `names the system database ${database}`);
  }
  const on: GrantKind = table === '*' ? 'database' : 'table';
  const name = on === 'database' ? database : `${database}.${table}`;
  const upper = words.toUpperCase();
  if (!/^ALL(?: PRIVILEGES)?$/.test(upper) && !PRIVILEGE_LIST.test(words)) {
    throw refused(text, 'lists privileges that are not comma-separated keywords');
  }
  const privileges = /^ALL(?: PRIVILEGES)?$/.test(upper) ? ALLOWED_PRIVILEGES[on] : upper.split(/, ?/);
  return privileges.map((privilege) => {
    if (!ALLOWED_PRIVILEGES[on].includes(privilege)) {
      throw refused(text, `names ${privilege}, which the connector does not grant on a ${on}`);
    }
    return { privilege, on, name };
  });
}

export function grantKey(g: Pick<Grant, 'privilege' | 'name'> & { readonly on: string }): string {
  return `${g.privilege} ${g.on} ${g.name}`;
}

/** The entitlement as the grammar writes it, one privilege: `SELECT ON app.*`. */
export function describeGrant(g: Grant): string {
  return `${g.privilege} ON ${g.on === 'database' ? `${g.name}.*` : g.name}`;
}

/** Names the entitlement, quoted and cut short: it is attacker-controlled text. */
function refused(text: string, why: string): CustosError {
  const shown = JSON.stringify(text.slice(0, 80));
  return new CustosError('INPUT_INVALID', `entitlement ${shown} ${why}`, {
    details: { entitlement: text.slice(0, 80) },
  });
}

function invalid(message: string): CustosError {
  return new CustosError('INPUT_INVALID', message);
}
