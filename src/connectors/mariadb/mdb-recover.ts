/**
 * Deciding from the target whether a step's change took place, when its journal row is still
 * `pending` (the attempt that wrote it died before recording the outcome; see mdb-journal.ts).
 * Each action leaves a mark that only its own change (or an identical one) leaves: the account
 * holds the very hash the step set (a random password's, so no one else set it), is locked,
 * unlocked, expired, gone, or holds (or lacks) every privilege the step names.
 */
import type { Step } from '../contract.js';
import type { Sql } from './mdb-admin.js';
import type { AccountState } from './mdb-account.js';
import { entitlementsOf } from './mdb-entitlements.js';
import { grantStatement, heldKey, readHeld } from './mdb-grants.js';
import type { JournalRow } from './mdb-journal.js';
import type { Account } from './mdb-sql.js';

export async function tookEffect(
  sql: Sql,
  row: JournalRow,
  step: Step,
  account: Account,
  state: AccountState | undefined,
): Promise<boolean> {
  const grants = entitlementsOf(step.params) ?? [];
  switch (row.action) {
    case 'create':
    case 'rotate':
      return state !== undefined && row.set_hash !== null && state.hash === row.set_hash;
    case 'grant':
    case 'revoke': {
      if (row.set_hash !== null) return state?.hash === row.set_hash; // the credential's revocation
      if (state === undefined) return false;
      const held = await readHeld(sql, account);
      return grants.every((g) => held.has(heldKey(g)) === (row.action === 'grant'));
    }
    case 'suspend':
      return state?.locked === true;
    case 'enable':
      return state?.locked === false;
    case 'expire':
      return state?.expired === true;
    case 'retire':
      return state === undefined;
    default:
      return false; // end_sessions: ending them again is the step itself
  }
}

/**
 * The idempotent remainder of a change that took place: a create may have died between CREATE
 * USER and its GRANTs, which are safe to send again.
 */
export function remainder(step: Step, account: Account): string[] {
  if (step.action !== 'create') return [];
  return (entitlementsOf(step.params) ?? []).map((g) => grantStatement('GRANT', g, account));
}
