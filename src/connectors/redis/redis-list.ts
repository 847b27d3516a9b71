/** Reconciliation: the ACL users whose Custos record names this system. */
import type { ListedAccount } from '../contract.js';
import { readAclUser } from './redis-acl.js';
import type { AdminSession } from './redis-admin.js';
import { readRecord } from './redis-journal.js';

export async function listManaged(
  session: AdminSession,
  systemId: string,
  now: Date,
): Promise<ListedAccount[]> {
  const users = await session.call('ACL', 'USERS');
  const accounts: ListedAccount[] = [];
  for (const user of Array.isArray(users) ? users.map(String).sort() : []) {
    const record = await readRecord(session, user);
    if (record?.system !== systemId) continue;
    const acl = await readAclUser((...argv) => session.call(...argv), user);
    if (acl === undefined) continue;
    const overdue = record.retiring.filter((r) => Date.parse(r.until) <= now.getTime()).length;
    accounts.push({
      externalId: user,
      attributes: {
        identity: record.identity,
        enabled: acl.enabled,
        passwords: acl.passwords.length,
        overlapUntil: record.retiring.map((r) => r.until).sort()[0] ?? null,
        overdueOverlaps: overdue,
        keys: [...acl.keys],
        channels: [...acl.channels],
        commands: [...acl.commands],
      },
    });
  }
  return accounts;
}
