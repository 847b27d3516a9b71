/**
 * Privileges a step may grant or revoke, from an allow-list per object kind (attacker-controlled:
 * they come from the request), their GRANT/REVOKE statements, and the read-back through
 * has_*_privilege. Table names are `schema.table` or `table` (resolved through the search path).
 */
import { z } from 'zod';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { Sql } from './pg-admin.js';
import { assertObjectName, quoteIdent } from './sql-escape.js';

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
const ALLOWED: Record<Grant['on'], readonly string[]> = {
  schema: ['USAGE', 'CREATE'],
  table: TABLE_PRIVILEGES,
  all_tables_in_schema: TABLE_PRIVILEGES,
  database: ['CONNECT', 'CREATE', 'TEMPORARY'],
};

const grantSchema = z.object({
  privilege: z.string(),
  on: z.enum(['schema', 'table', 'all_tables_in_schema', 'database']),
  name: z.string(),
});

export type Grant = z.infer<typeof grantSchema>;

export function parseGrants(params: Readonly<Record<string, JsonValue>>): Grant[] {
  if (params['grants'] === undefined) return [];
  const parsed = z.array(grantSchema).safeParse(params['grants']);
  if (!parsed.success) throw refused('params.grants must be a list of {privilege, on, name}');
  return parsed.data.map((g) => {
    const privilege = g.privilege.toUpperCase();
    if (!ALLOWED[g.on].includes(privilege)) throw refused(`${g.privilege} cannot be granted on a ${g.on}`);
    g.name.split('.').forEach(assertObjectName);
    if (g.name.split('.').length > (g.on === 'table' ? 2 : 1)) throw refused(`bad ${g.on} name ${g.name}`);
    return { ...g, privilege };
  });
}

function objectSql(g: Grant): string {
  const name = g.name.split('.').map(quoteIdent).join('.');
  if (g.on === 'all_tables_in_schema') return `ALL TABLES IN SCHEMA ${name}`;
  return `${g.on.toUpperCase()} ${name}`;
}

export function grantStatement(verb: 'GRANT' | 'REVOKE', g: Grant, role: string): string {
  const direction = verb === 'GRANT' ? 'TO' : 'FROM';
  return `${verb} ${g.privilege} ON ${objectSql(g)} ${direction} ${quoteIdent(role)}`;
}

/** Whether `role` holds the grant now (for all tables of a schema: every one of them). */
export async function holds(sql: Sql, role: string, g: Grant): Promise<boolean> {
  const quoted = g.name.split('.').map(quoteIdent).join('.');
  const queries: Record<Grant['on'], string> = {
    schema: 'SELECT has_schema_privilege($1, $2, $3) AS ok',
    table: 'SELECT has_table_privilege($1, $2, $3) AS ok',
    database: 'SELECT has_database_privilege($1, $2, $3) AS ok',
    all_tables_in_schema: `SELECT coalesce(bool_and(has_table_privilege($1, c.oid, $3)), true) AS ok
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
  };
  const object = g.on === 'table' ? quoted : g.name;
  const rows = await sql.query<{ ok: boolean }>(queries[g.on], [role, object, g.privilege]);
  return rows[0]?.ok === true;
}

export function describeGrant(g: Grant): string {
  return `${g.privilege} on ${g.on} ${g.name}`;
}

function refused(message: string): CustosError {
  return new CustosError('CONNECTOR_REFUSED', message);
}
