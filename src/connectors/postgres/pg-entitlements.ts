/**
 * The entitlements a postgres step may grant or revoke, as requesters and the inventory write them
 * (`params.entitlements`), parsed by a strict grammar into grants. Attacker-controlled: they come
 * from requests. Nothing of the text reaches SQL: only the parsed privilege keywords (from an
 * allow-list) and names that match a closed pattern, quoted again when a statement is built.
 *
 *   entitlement := privileges " ON " object | role
 *   privileges  := "ALL" [" PRIVILEGES"] | privilege { ", " privilege }   (keywords: any case)
 *   object      := "TABLE " schema "." name | "SCHEMA " schema | "DATABASE " name
 *                | "ALL TABLES IN SCHEMA " schema
 *   name        := [a-z_][a-z0-9_$]{0,62}   (unquoted-identifier form: quoting changes nothing)
 *   role        := [a-z_][a-z0-9_]{0,62}    (membership in that role)
 *
 * Tables must be schema-qualified (an unqualified name resolves through the search path, where
 * pg_catalog comes first: `pg_authid` would name the password table). The system schemas and
 * Custos's own journal schema are never granted. `ALL` expands to the allow-listed privileges of
 * the object kind, never to whatever a future server version adds. Role attributes (superuser,
 * createrole, …) are not memberships and are refused; so are predefined roles off the allow-list
 * (pg_execute_server_program and its kin equal superuser). Whether another group role is safe to
 * join is a catalog question, answered at grant time (pg-grants.ts, assertGrantable).
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';

export type GrantKind = 'schema' | 'table' | 'all_tables_in_schema' | 'database' | 'role';

/** One privilege on one object, or (`on: 'role'`, `privilege: 'MEMBER'`) one role membership. */
export interface Grant {
  readonly privilege: string;
  readonly on: GrantKind;
  readonly name: string;
}

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
export const ALLOWED_PRIVILEGES: Readonly<Record<GrantKind, readonly string[]>> = {
  schema: ['USAGE', 'CREATE'],
  table: TABLE_PRIVILEGES,
  all_tables_in_schema: TABLE_PRIVILEGES,
  database: ['CONNECT', 'CREATE', 'TEMPORARY'],
  role: ['MEMBER'],
};

/** Predefined roles that grant reading or writing data or statistics, and nothing of the server. */
export const GRANTABLE_PREDEFINED_ROLES: ReadonlySet<string> = new Set([
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_read_all_settings',
  'pg_read_all_stats',
  'pg_stat_scan_tables',
  'pg_monitor',
]);

/** Words that name role attributes or pseudo-roles, not roles one may join. */
const NOT_ROLES = new Set([
  'superuser',
  'createrole',
  'createdb',
  'replication',
  'bypassrls',
  'login',
  'inherit',
  'connection',
  'password',
  'public',
  'all',
  'none',
  'current_role',
  'current_user',
  'session_user',
]);

const NAME = '[a-z_][a-z0-9_$]{0,62}';
const OBJECT = new RegExp(
  `^(ALL(?: PRIVILEGES)?|[A-Za-z]+(?:, [A-Za-z]+)*) ON (TABLE|SCHEMA|DATABASE|ALL TABLES IN SCHEMA) (.+)$`,
  'i',
);
const QUALIFIED_NAME = new RegExp(`^(${NAME})\\.(${NAME})$`);
const SINGLE_NAME = new RegExp(`^${NAME}$`);
const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
const KINDS: Readonly<Record<string, GrantKind>> = {
  TABLE: 'table',
  SCHEMA: 'schema',
  DATABASE: 'database',
  'ALL TABLES IN SCHEMA': 'all_tables_in_schema',
};
const ALIASES: Readonly<Record<string, string>> = { TEMP: 'TEMPORARY' };

/**
 * The grants of `params.entitlements`, deduplicated in order; `undefined` when the step names
 * none (for `revoke`, that means the credential itself). The retired `params.grants` is refused,
 * never ignored: ignoring it would turn a revoke of privileges into a revoke of the password.
 */
export function entitlementsOf(params: Readonly<Record<string, JsonValue>>): Grant[] | undefined {
  if (params['grants'] !== undefined) {
    throw refusedInput('params.grants is not accepted: name privileges in params.entitlements');
  }
  const list = params['entitlements'];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw refusedInput('params.entitlements must be a list of strings');
  const seen = new Map<string, Grant>();
  for (const item of list as readonly JsonValue[]) {
    for (const g of parseEntitlement(item)) seen.set(grantKey(g), g);
  }
  return [...seen.values()];
}

/** The grants one entitlement stands for (several for `ALL` or a list of privileges). */
export function parseEntitlement(text: JsonValue): Grant[] {
  if (typeof text !== 'string') throw refusedInput('every entitlement must be a string');
  if (text.length > 200) throw refused(text, 'is longer than 200 characters');
  const m = OBJECT.exec(text);
  if (m === null) return [membership(text)];
  const on = KINDS[m[2]!.toUpperCase()]!;
  const name = objectName(text, on, m[3]!);
  const words = m[1]!.toUpperCase();
  const privileges = /^ALL(?: PRIVILEGES)?$/.test(words)
    ? ALLOWED_PRIVILEGES[on]
    : words.split(', ').map((p) => ALIASES[p] ?? p);
  return privileges.map((privilege) => {
    if (!ALLOWED_PRIVILEGES[on].includes(privilege)) {
      throw refused(text, `names ${privilege}, which the connector does not grant on a ${kindName(on)}`);
    }
    return { privilege, on, name };
  });
}

function objectName(text: string, on: GrantKind, name: string): string {
  if (on === 'database') {
    if (!SINGLE_NAME.test(name)) throw refused(text, `needs a database name matching ${NAME}`);
    return name;
  }
  const parts = on === 'table' ? QUALIFIED_NAME.exec(name) : SINGLE_NAME.exec(name);
  if (parts === null) {
    const shape = on === 'table' ? `schema.table, each matching ${NAME}` : `a schema matching ${NAME}`;
    throw refused(text, `needs ${shape}`);
  }
  const schema = on === 'table' ? parts[1]! : name;
  if (schema.startsWith('pg_') || schema === 'information_schema' || schema === 'custos') {
    throw refused(text, `names the system schema ${schema}`);
  }
  return name;
}

function membership(text: string): Grant {
  if (!ROLE.test(text)) {
    throw refused(
      text,
      'is neither "<privileges> ON TABLE|SCHEMA|DATABASE|ALL TABLES IN SCHEMA <name>" nor a role name',
    );
  }
  if (NOT_ROLES.has(text)) throw refused(text, 'is a role attribute or pseudo-role, never granted');
  if (text.startsWith('pg_') && !GRANTABLE_PREDEFINED_ROLES.has(text)) {
    throw refused(text, 'is a predefined role the connector does not grant');
  }
  return { privilege: 'MEMBER', on: 'role', name: text };
}

export function grantKey(g: Pick<Grant, 'privilege' | 'name'> & { readonly on: string }): string {
  return `${g.privilege} ${g.on} ${g.name}`;
}

export function describeGrant(g: Grant): string {
  return g.on === 'role' ? `member of role ${g.name}` : `${g.privilege} on ${g.on} ${g.name}`;
}

function kindName(on: GrantKind): string {
  return on === 'all_tables_in_schema' ? 'table' : on;
}

/** Names the entitlement, quoted and cut short: it is attacker-controlled text. */
export function refused(text: string, why: string): CustosError {
  const shown = JSON.stringify(text.slice(0, 80));
  return new CustosError('INPUT_INVALID', `entitlement ${shown} ${why}`, {
    details: { entitlement: text.slice(0, 80) },
  });
}

function refusedInput(message: string): CustosError {
  return new CustosError('INPUT_INVALID', message);
}
