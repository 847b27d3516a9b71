/**
 * Reconciliation: the entries under the base DN whose marker says Custos manages them for this
 * system, with their lock, end of validity, groups, and how many rotations' old passwords have
 * outlived their overlap window (the timer tick's `endOverlaps` has not run since).
 */
import { SubstringFilter } from 'ldapts';
import type { ListedAccount } from '../contract.js';
import { isoOfGeneralized, parseManaged } from './ldap-account.js';
import type { Ldap } from './ldap-admin.js';
import { sameDn } from './ldap-dn.js';
import { pendingOverlaps } from './ldap-journal.js';
import type { LdapSettings } from './ldap-settings.js';

export async function listManaged(
  ldap: Ldap,
  settings: LdapSettings,
  systemId: string,
  now: Date,
): Promise<ListedAccount[]> {
  const overdue = (await pendingOverlaps(ldap, settings))
    .filter((j) => j.record.overlap !== undefined && Date.parse(j.record.overlap.until) <= now.getTime())
    .map((j) => j.record.account);
  const filter = new SubstringFilter({ attribute: 'description', initial: 'custos:' });
  const entries = await ldap.search(settings.baseDn, 'one', filter, [
    'cn',
    'description',
    'pwdAccountLockedTime',
    'pwdEndTime',
    'memberOf',
  ]);
  const accounts: ListedAccount[] = [];
  for (const entry of entries) {
    const managed = parseManaged(entry.text('description'));
    const cn = entry.text('cn')[0];
    if (managed?.system !== systemId || cn === undefined) continue;
    const end = entry.text('pwdEndTime')[0];
    accounts.push({
      externalId: cn,
      attributes: {
        identity: managed.identity,
        dn: entry.dn,
        locked: entry.text('pwdAccountLockedTime').length > 0,
        validUntil: end === undefined ? null : isoOfGeneralized(end),
        memberOf: entry.text('memberOf'),
        overdueOverlaps: overdue.filter((a) => sameDn(a, entry.dn)).length,
      },
    });
  }
  return accounts.sort((a, b) => a.externalId.localeCompare(b.externalId));
}
