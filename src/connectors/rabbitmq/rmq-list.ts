/**
 * Reconciliation: the users whose tag marks them as managed by Custos for this system, with what a
 * reviewer needs (identity, suspension, other tags). Two requests, whatever the number of users:
 * the user list and every user limit.
 */
import { z } from 'zod';
import type { ListedAccount } from '../contract.js';
import type { ManagementApi } from './rmq-http.js';
import { MARKER_PREFIX, parseBody, readUsers } from './rmq-user.js';

const limitsSchema = z.array(
  z.object({ user: z.string(), value: z.object({ 'max-connections': z.number().optional() }) }),
);

export async function listManaged(api: ManagementApi, systemId: string): Promise<ListedAccount[]> {
  const users = await readUsers(api);
  const limits = parseBody(limitsSchema, (await api.request('GET', '/user-limits')).body, 'user limits');
  const maxConnections = new Map(limits.map((l) => [l.user, l.value['max-connections'] ?? null]));
  const prefix = `${MARKER_PREFIX}${systemId}/`;
  const accounts: ListedAccount[] = [];
  for (const u of users) {
    const marker = u.tags.find((t) => t.startsWith(prefix));
    if (marker === undefined) continue;
    accounts.push({
      externalId: u.name,
      attributes: {
        identity: marker.slice(prefix.length),
        suspended: maxConnections.get(u.name) === 0,
        tags: u.tags.filter((t) => t !== marker),
      },
    });
  }
  return accounts.sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
}
