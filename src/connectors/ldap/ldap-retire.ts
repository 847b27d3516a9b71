/**
 * Retirement deletes the account entry. Before that, the connector takes the account out of every
 * group under the groups DN itself, so that no dangling `member` value is left even where the
 * refint overlay is not configured (where it is, it also cleans groups elsewhere in the tree).
 */
import { EqualityFilter } from 'ldapts';
import type { Ldap } from './ldap-admin.js';
import { isChildOf, parseDn } from './ldap-dn.js';
import { setMember } from './ldap-groups.js';
import type { LdapSettings } from './ldap-settings.js';

/** DNs of the groups under the groups DN that list `account` as a member. */
export async function groupsHolding(ldap: Ldap, settings: LdapSettings, account: string): Promise<string[]> {
  const filter = new EqualityFilter({ attribute: 'member', value: account });
  const entries = await ldap.search(settings.groupsDn, 'one', filter, ['1.1']);
  return entries.map((e) => e.dn);
}

export async function dropAccountFromGroups(
  ldap: Ldap,
  settings: LdapSettings,
  account: string,
): Promise<void> {
  for (const dn of await groupsHolding(ldap, settings, account)) {
    if (!isChildOf(dn, settings.groupsDn)) continue;
    const group = parseDn(dn)?.[0]?.value ?? dn;
    await setMember(ldap, { group, dn }, account, false);
  }
}
