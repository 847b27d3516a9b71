/**
 * Grants (parsed from entitlements, see pg-entitlements.ts) on the target: their GRANT/REVOKE
 * statements, the read-back through has_*_privilege and pg_auth_members, and the catalog check
 * that a group role is safe to join before Custos adds a member to it.
 */
import { CustosError } from '../../core/errors.js';
import type { Sql } from './pg-admin.js';
import { GRANTABLE_PREDEFINED_ROLES, describeGrant, type Grant, type GrantKind } from './pg-entitlements.js';
import { quoteIdent } from './sql-escape.js';

function objectSql(g: Grant): string {
  const name = g.name.split('.').map(quoteIdent).join('.');
  if (g.on === 'all_tables_in_schema') return `ALL TABLES IN SCHEMA ${name}`;
  return `${g.on.toUpperCase()} ${name}`;
}

export function grantStatement(verb: 'GRANT' | 'REVOKE', g: Grant, role: string): string {
  const direction = verb === 'GRANT' ? 'TO' : 'FROM';
  if (g.on === 'role') return `${verb} ${quoteIdent(g.name)} ${direction} ${quoteIdent(role)}`;
  return `${verb} ${g.privilege} ON ${objectSql(g)} ${direction} ${quoteIdent(role)}`;
}

/** Sends one GRANT or REVOKE; a membership is granted only in a group role that is safe to join. */
export async function applyGrant(sql: Sql, verb: 'GRANT' | 'REVOKE', g: Grant, role: string): Promise<void> {
  if (verb === 'GRANT' && g.on === 'role') await assertGrantable(sql, g);
  await sql.query(grantStatement(verb, g, role));
}

/** How many of the grant's objects `role` holds it on (one object, or every table of a schema). */
export interface Holding {
  readonly held: number;
  readonly of: number;
}

const HOLDING: Record<Exclude<GrantKind, 'all_tables_in_schema'>, string> = {
  schema: 'SELECT has_schema_privilege($1, $2, $3)::int AS held, 1 AS of',
  table: 'SELECT has_table_privilege($1, $2, $3)::int AS held, 1 AS of',
  database: 'SELECT has_database_privilege($1, $2, $3)::int AS held, 1 AS of',
  // Direct membership only: that is what GRANT role TO … adds and REVOKE removes.
  role: `SELECT count(*)::int AS held, 1 AS of FROM pg_auth_members m
           JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
          WHERE r.rolname = $1 AND g.rolname = $2 AND $3::text = 'MEMBER'`,
};
const ALL_TABLES = `SELECT count(*) FILTER (WHERE has_table_privilege($1, c.oid, $3))::int AS held, count(*)::int AS of
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;

export async function holding(sql: Sql, role: string, g: Grant): Promise<Holding> {
  const text = g.on === 'all_tables_in_schema' ? ALL_TABLES : HOLDING[g.on];
  const object = g.on === 'table' ? g.name.split('.').map(quoteIdent).join('.') : g.name;
  const [row] = await sql.query<Holding>(text, [role, object, g.privilege]);
  return row ?? { held: 0, of: 1 };
}

/** Held on every object it names (a schema without tables holds nothing). */
export async function holds(sql: Sql, role: string, g: Grant): Promise<boolean> {
  const h = await holding(sql, role, g);
  return h.of > 0 && h.held === h.of;
}

/** Whether the read-back matches what the step wanted: held everywhere, or nowhere. */
export function holdingIs(h: Holding, want: boolean): boolean {
  return want ? h.held === h.of : h.held === 0;
}

interface Ancestor {
  rolname: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolcanlogin: boolean;
  managed: boolean;
}

/**
 * Joining a role gives its privileges and the right to SET ROLE to it, and through it to every
 * role it belongs to: each of them must be a plain group (NOLOGIN, no server-wide attribute), not
 * a Custos-managed identity, and, if predefined, on the allow-list.
 */
export async function assertGrantable(sql: Sql, g: Grant): Promise<void> {
  const rows = await sql.query<Ancestor>(
    `WITH RECURSIVE up(oid) AS (
       SELECT oid FROM pg_roles WHERE rolname = $1
       UNION SELECT m.roleid FROM pg_auth_members m JOIN up ON m.member = up.oid)
     SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
            r.rolcanlogin, coalesce(shobj_description(r.oid, 'pg_authid') LIKE 'custos:%', false) AS managed
       FROM up JOIN pg_roles r ON r.oid = up.oid`,
    [g.name],
  );
  const what = describeGrant(g);
  if (rows.length === 0) throw refusedRole(what, `role ${g.name} does not exist`);
  for (const r of rows) {
    const attribute = (
      [
        ['SUPERUSER', r.rolsuper],
        ['CREATEROLE', r.rolcreaterole],
        ['CREATEDB', r.rolcreatedb],
        ['REPLICATION', r.rolreplication],
        ['BYPASSRLS', r.rolbypassrls],
        ['LOGIN', r.rolcanlogin],
      ] as const
    ).find(([, set]) => set)?.[0];
    const it = r.rolname === g.name ? r.rolname : `${g.name} belongs to ${r.rolname}, which`;
    if (attribute !== undefined) throw refusedRole(what, `${it} has ${attribute}`);
    if (r.managed) throw refusedRole(what, `${it} is an identity Custos manages`);
    if (r.rolname.startsWith('pg_') && !GRANTABLE_PREDEFINED_ROLES.has(r.rolname)) {
      throw refusedRole(what, `${it} is a predefined role the connector does not grant`);
    }
  }
}

function refusedRole(what: string, why: string): CustosError {
  return new CustosError('CONNECTOR_REFUSED', `cannot grant ${what}: ${why}`);
}
