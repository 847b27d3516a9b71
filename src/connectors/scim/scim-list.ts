/**
 * Reconciliation: every user whose Custos journal names this system, read through paging. A user
 * whose Custos journal cannot be read is listed too, marked, so that reconciliation notices it
 * instead of one bad record hiding every other account.
 */
import { isCustosError } from '../../core/errors.js';
import type { ListedAccount } from '../contract.js';
import type { ScimClient } from './scim-http.js';
import { CUSTOS_EXTENSION } from './scim-journal.js';
import { listUsers, userOf } from './scim-users.js';

export async function listManaged(
  client: ScimClient,
  pageSize: number,
  systemId: string,
): Promise<ListedAccount[]> {
  const accounts: ListedAccount[] = [];
  for (const raw of await listUsers(client, pageSize)) {
    try {
      const user = userOf(raw);
      if (user.journal?.system !== systemId) continue;
      accounts.push({
        externalId: user.userName,
        attributes: { identity: user.journal.identity, id: user.id, active: user.active },
      });
    } catch (error) {
      if (!isCustosError(error, 'TARGET_STATE_MISMATCH')) throw error;
      const r = (raw ?? {}) as Record<string, unknown>;
      if (r[CUSTOS_EXTENSION] === undefined || typeof r['userName'] !== 'string') continue;
      accounts.push({ externalId: r['userName'], attributes: { journal: 'malformed' } });
    }
  }
  return accounts;
}
