/**
 * Grants (parsed from entitlements, see mdb-entitlements.ts) on the target: their GRANT/REVOKE
 * statements and the read-back from mysql.db and mysql.tables_priv.
 *
 * In a database-level GRANT, `_` and `%` in the database name are wildcards; the connector escapes
 * `_` (and admits no `%`), so `SELECT ON my_app.*` grants on my_app only, and the server stores the
 * escaped name `my\_app` in mysql.db. A privilege held through some other grant (a wildcard
 * database grant, a global one) is not Custos's grant and is not read here.
 */
import { CustosError } from '../../core/errors.js';
import type { Sql } from './mdb-admin.js';
import { describeGrant, grantKey, type Grant } from './mdb-entitlements.js';
import { accountSql, quoteIdent, type Account } from './mdb-sql.js';

/** The database name as a database-level GRANT must write it to name that database only. */
export function literalDatabase(name: string): string {
  return name.replaceAll('_', '\\_');
}

function objectSql(g: Grant): string {
  if (g.on === 'database') return `${quoteIdent(literalDatabase(g.name))}.*`;
  const [database, table] = g.name.split('.') as [string, string];
  return `${quoteIdent(database)}.${quoteIdent(table)}`;
}

export function grantStatement(verb: 'GRANT' | 'REVOKE', g: Grant, account: Account): string {
  const direction = verb === 'GRANT' ? 'TO' : 'FROM';
  return `${verb} ${g.privilege} ON ${objectSql(g)} ${direction} ${accountSql(account)}`;
}

/** The mysql.db column of each database-level privilege the grammar admits. */
const DB_COLUMNS: Readonly<Record<string, string>> = {
  SELECT: 'Select_priv',
  INSERT: 'Insert_priv',
  UPDATE: 'Update_priv',
  DELETE: 'Delete_priv',
  CREATE: 'Create_priv',
  DROP: 'Drop_priv',
  INDEX: 'Index_priv',
  ALTER: 'Alter_priv',
  REFERENCES: 'References_priv',
  TRIGGER: 'Trigger_priv',
  'CREATE VIEW': 'Create_view_priv',
  'SHOW VIEW': 'Show_view_priv',
  EXECUTE: 'Execute_priv',
  'LOCK TABLES': 'Lock_tables_priv',
  'CREATE TEMPORARY TABLES': 'Create_tmp_table_priv',
};

/**
 * The keys (heldKey) of the database- and table-level privileges the account holds, read from
 * mysql.db and mysql.tables_priv (information_schema shows other accounts' privileges only to
 * holders of SELECT on the whole mysql database; these two tables need less).
 */
export async function readHeld(sql: Sql, account: Account): Promise<Set<string>> {
  const columns = Object.values(DB_COLUMNS).join(', ');
  const databases = await sql.rows<Record<string, string>>(
    `SELECT Db, ${columns} FROM mysql.db WHERE User = ? AND Host = ?`,
    [account.user, account.host],
  );
  const tables = await sql.rows<{ Db: string; Table_name: string; Table_priv: string }>(
    'SELECT Db, Table_name, Table_priv FROM mysql.tables_priv WHERE User = ? AND Host = ?',
    [account.user, account.host],
  );
  const held = new Set<string>();
  for (const row of databases) {
    for (const [privilege, column] of Object.entries(DB_COLUMNS)) {
      if (row[column] === 'Y') held.add(storedKey(privilege, 'database', row['Db'] ?? ''));
    }
  }
  for (const row of tables) {
    for (const privilege of row.Table_priv.split(',').filter((p) => p !== '')) {
      held.add(storedKey(privilege.toUpperCase(), 'table', `${row.Db}.${row.Table_name}`));
    }
  }
  return held;
}

/** The key a grant has among readHeld's: database names as the server stores them (escaped). */
export function heldKey(g: Grant): string {
  return storedKey(g.privilege, g.on, g.on === 'database' ? literalDatabase(g.name) : g.name);
}

function storedKey(privilege: string, on: Grant['on'], name: string): string {
  return grantKey({ privilege, on, name });
}

/**
 * A table-level GRANT fails on a missing table (after the account statements before it took
 * effect): check every table first, so that such a step changes nothing.
 */
export async function assertTablesExist(sql: Sql, grants: readonly Grant[]): Promise<void> {
  for (const g of grants.filter((x) => x.on === 'table')) {
    const [database, table] = g.name.split('.') as [string, string];
    const rows = await sql.rows(
      'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    );
    if (rows.length === 0) {
      throw new CustosError('INPUT_INVALID', `cannot grant ${describeGrant(g)}: no such table`);
    }
  }
}
