/**
 * Quoting for PostgreSQL utility statements (CREATE/ALTER/DROP ROLE, GRANT, COMMENT), which take
 * no bind parameters. Everything quoted here may be attacker-controlled (role and object names come
 * from requests): names are validated against a strict pattern *and* quoted, literals are quoted
 * as standard-conforming strings (`standard_conforming_strings` is on by default since 9.1, and
 * the connector refuses to run with it off), and NUL bytes, which PostgreSQL cannot store, are
 * refused rather than truncated.
 */
import { CustosError } from '../../core/errors.js';

/** The role names Custos manages: lower case, unquoted-identifier safe, at most 63 bytes. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertRoleName(name: string): string {
  if (!ROLE_NAME.test(name) || name.startsWith('pg_')) {
    throw new CustosError('CONNECTOR_REFUSED', 'a role name must match [a-z_][a-z0-9_]{0,62} (not pg_*)', {
      details: { name: name.slice(0, 80) },
    });
  }
  return name;
}

/** `"name"` with embedded double quotes doubled (PostgreSQL §4.1.1). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError('identifier is empty or holds NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with embedded single quotes doubled; backslashes are literal under standard strings. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new TypeError('literal holds NUL');
  return `'${text.replaceAll("'", "''")}'`;
}
