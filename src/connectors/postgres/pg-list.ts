/** Reconciliation: the roles whose comment marks them as managed by Custos for this system. */
import type { ListedAccount } from '../contract.js';
import type { Sql } from './pg-admin.js';
import { parseManaged } from './pg-role.js';

interface Row {
  rolname: string;
  rolcanlogin: boolean;
  valid_until: string | null;
  comment: string | null;
}

export async function listManaged(sql: Sql, systemId: string): Promise<ListedAccount[]> {
  const rows = await sql.query<Row>(
    `SELECT rolname, rolcanlogin, rolvaliduntil::text AS valid_until, shobj_description(oid, 'pg_authid') AS comment
       FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE 'custos:%' ORDER BY rolname`,
  );
  const accounts: ListedAccount[] = [];
  for (const row of rows) {
    const managed = parseManaged(row.comment);
    if (managed?.system !== systemId) continue;
    accounts.push({
      externalId: row.rolname,
      attributes: { identity: managed.identity, canLogin: row.rolcanlogin, validUntil: row.valid_until },
    });
  }
  return accounts;
}
