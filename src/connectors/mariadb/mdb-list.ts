/** Reconciliation: the accounts Custos manages for this system that exist on the server. */
import type { ListedAccount } from '../contract.js';
import type { Sql } from './mdb-admin.js';
import { readAccount } from './mdb-account.js';
import { listClaimed } from './mdb-journal.js';
import { externalIdOf } from './mdb-sql.js';

export async function listManaged(sql: Sql, systemId: string, defaultHost: string): Promise<ListedAccount[]> {
  const accounts: ListedAccount[] = [];
  for (const claimed of await listClaimed(sql, systemId)) {
    const state = await readAccount(sql, claimed);
    if (state === undefined) continue;
    accounts.push({
      externalId: externalIdOf(claimed, defaultHost),
      attributes: {
        identity: claimed.identity,
        user: claimed.user,
        host: claimed.host,
        locked: state.locked,
        passwordExpired: state.expired,
        passwordLifetimeDays: state.lifetimeDays,
      },
    });
  }
  return accounts;
}
