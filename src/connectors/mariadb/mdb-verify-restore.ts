/**
 * Verification after a rollback: the account compared with the prior state the rollback restored
 * (kept in the step's journal row, fingerprints only), not merely the journal's rolled-back mark.
 */
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck } from '../contract.js';
import type { AccountState } from './mdb-account.js';
import { describeGrant, entitlementsOf, grantKey } from './mdb-entitlements.js';
import { heldKey } from './mdb-grants.js';
import type { JournalRow } from './mdb-journal.js';
import { credentialOf, heldBefore, priorSchema, type Prior } from './mdb-prior.js';

export interface RestoredRead {
  readonly row: JournalRow;
  readonly state: AccountState | undefined;
  readonly held: ReadonlySet<string>;
}

export function restoredChecks(
  step: Step,
  { row, state, held }: RestoredRead,
  key: FingerprintKey,
): VerifyCheck[] {
  const at = new Date(row.rolled_back_at ?? 0).toISOString();
  const checks: VerifyCheck[] = [{ name: 'rolled back', ok: true, detail: `rolled back at ${at}` }];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const prior = parsePrior(row.restored_prior);
  if (prior === undefined) {
    check('prior state restored', false, 'the prior state kept by the rollback is missing or malformed');
    return checks;
  }
  if (!prior.exists || state === undefined) {
    const ok = prior.exists === (state !== undefined);
    check(
      prior.exists ? 'account exists as before' : 'account absent as before',
      ok,
      state ? 'exists' : 'absent',
    );
    return checks;
  }
  const compare = <T>(name: string, was: T | null, is: T) => {
    if (was !== null) check(`${name} restored`, was === is, `is ${String(is)}, was ${String(was)}`);
  };
  compare('account lock', prior.locked, state.locked);
  compare('password expiry', prior.passwordExpired, state.expired);
  compare('password lifetime', prior.passwordLifetimeDays, state.lifetimeDays);
  const wanted = prior.credentials[0]?.fingerprint ?? null;
  const current = credentialOf(state, key);
  check(
    'password restored',
    wanted === current,
    wanted === current ? 'the prior hash is back' : 'the hash differs',
  );
  const before = heldBefore(prior);
  for (const g of entitlementsOf(step.params) ?? []) {
    const was = before.get(grantKey(g));
    if (was === undefined) continue;
    const is = held.has(heldKey(g));
    check(
      `${describeGrant(g)} restored`,
      is === was,
      `${is ? 'held' : 'not held'}, was ${was ? 'held' : 'not'}`,
    );
  }
  return checks;
}

function parsePrior(text: string | null): Prior | undefined {
  if (text === null) return undefined;
  try {
    const parsed = priorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
