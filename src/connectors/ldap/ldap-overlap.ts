/**
 * The end of a rotation's overlap window. userPassword is multi-valued, so during the window the
 * account holds the old value(s) and the new one, and both bind. OpenLDAP has no per-value
 * expiry, so the window's end is journaled on the directory with the rotation (fingerprints of
 * the values to remove, and `until`), and the removal happens at the first of:
 *
 * - any later connector call on the same account (apply, readPrior, rollback), before it acts;
 * - `LdapConnector.endOverlaps(system, authority)`, which the engine's timer tick calls for every ldap
 *   system (the residual: between `until` and that call the old password still binds).
 *
 * A removal deletes exact values (so it never touches a password set since), and only once the
 * rotation's own value is on the account (a rotation whose outcome is still unsettled is left for
 * its retry). A rolled-back rotation's window is closed by the rollback, not swept.
 */
import type { FingerprintKey } from '../../ledger/secrets.js';
import { fingerprint } from '../../ledger/secrets.js';
import type { Ldap } from './ldap-admin.js';
import { readAccount } from './ldap-account.js';
import { LDAP, ldapCode } from './ldap-errors.js';
import { pendingOverlaps, swapRecord, type Journaled } from './ldap-journal.js';
import type { LdapSettings } from './ldap-settings.js';

/** Removes the old passwords of every rotation (of `account`, or all) whose window has ended. */
export async function sweepOverlaps(
  ldap: Ldap,
  settings: LdapSettings,
  key: FingerprintKey,
  now: Date,
  account?: string,
): Promise<number> {
  let removed = 0;
  for (const j of await pendingOverlaps(ldap, settings, account)) {
    const overlap = j.record.overlap;
    if (overlap === undefined || overlap.done || Date.parse(overlap.until) > now.getTime()) continue;
    const result = await endWindow(ldap, j, key);
    if (result === undefined) continue;
    removed += result;
    const done = { ...j.record, overlap: { ...overlap, done: true } };
    await swapRecord(ldap, j, done).catch(() => undefined); // a concurrent sweep closed it first
  }
  return removed;
}

/** Deletes the window's old values; undefined when the rotation's outcome is not settled yet. */
async function endWindow(ldap: Ldap, j: Journaled, key: FingerprintKey): Promise<number | undefined> {
  const { record } = j;
  if (record.state === 'rolled_back') return 0;
  const state = await readAccount(ldap, record.account);
  if (state === undefined) return 0;
  const held = state.passwords.map((p) => ({ value: p, print: fingerprint(key, p) }));
  if (!held.some((h) => h.print === record.setFingerprint)) {
    // Pending and not on the account: the rotation has not taken effect; its retry decides.
    return record.state === 'pending' ? undefined : 0;
  }
  const old = new Set(record.overlap?.fingerprints ?? []);
  const values = held.filter((h) => old.has(h.print)).map((h) => h.value);
  if (values.length === 0) return 0;
  try {
    await ldap.modify(record.account, [{ operation: 'delete', type: 'userPassword', values }]);
  } catch (error) {
    if (ldapCode(error) !== LDAP.noSuchAttribute) throw error;
    return 0; // removed concurrently
  }
  return values.length;
}
