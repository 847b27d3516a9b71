/**
 * Group memberships (parsed from entitlements, see ldap-entitlements.ts) on the directory: the
 * check that each group is a groupOfNames directly under the groups DN, the read-back, and adding
 * or removing the account's DN as a `member` value. Adding a value that is there (20) or removing
 * one that is not (16) is treated as done: memberships are ensured, not toggled.
 */
import { CustosError } from '../../core/errors.js';
import type { Ldap } from './ldap-admin.js';
import { isChildOf } from './ldap-dn.js';
import type { GroupGrant } from './ldap-entitlements.js';
import { LDAP, ldapCode } from './ldap-errors.js';

export interface GroupState {
  readonly grant: GroupGrant;
  readonly member: boolean;
}

/** Refuses, before anything is written, a group that is absent or not a groupOfNames. */
export async function assertGroups(
  ldap: Ldap,
  groups: readonly GroupGrant[],
  groupsDn: string,
): Promise<void> {
  for (const g of groups) {
    if (!isChildOf(g.dn, groupsDn)) throw new TypeError(`group ${g.dn} is not under ${groupsDn}`);
    const entry = await ldap.read(g.dn, ['objectClass']);
    const classes = entry?.text('objectClass').map((c) => c.toLowerCase()) ?? [];
    if (!classes.includes('groupofnames')) {
      const why = entry === undefined ? 'does not exist' : 'is not a groupOfNames';
      throw new CustosError(
        'CONNECTOR_REFUSED',
        `group ${JSON.stringify(g.group)} ${why} under the groups DN`,
      );
    }
  }
}

export async function memberships(
  ldap: Ldap,
  groups: readonly GroupGrant[],
  account: string,
): Promise<GroupState[]> {
  const states: GroupState[] = [];
  for (const grant of groups) {
    // A compare, not a read of every member: groups can be large; distinguishedNameMatch decides.
    const member = await ldap.compare(grant.dn, 'member', account).catch((error: unknown) => {
      if (ldapCode(error) === LDAP.noSuchObject) return false;
      throw error;
    });
    states.push({ grant, member });
  }
  return states;
}

export async function setMember(ldap: Ldap, g: GroupGrant, account: string, want: boolean): Promise<void> {
  try {
    await ldap.modify(g.dn, [{ operation: want ? 'add' : 'delete', type: 'member', values: [account] }]);
  } catch (error) {
    const code = ldapCode(error);
    if (code === (want ? LDAP.typeOrValueExists : LDAP.noSuchAttribute)) return;
    if (code === LDAP.objectClassViolation && !want) {
      throw new CustosError(
        'CONNECTOR_REFUSED',
        `group ${JSON.stringify(g.group)} would have no member left (groupOfNames requires one): give it a placeholder member`,
        { cause: error },
      );
    }
    throw error;
  }
}
