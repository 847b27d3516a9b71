/**
 * The prior state of an account (read before a step) and the compensation that restores it.
 * Account statements commit implicitly on MariaDB, so rollback cannot be a transaction: it reads
 * the account now, compares it with the prior state, and sends the statements that undo the
 * differences, under the account's lock.
 *
 * The prior state carries no hash, only its fingerprint: the hash a step replaced stays on the
 * target, in that step's journal row, and is put back only if its fingerprint matches — so the old
 * password works again. A dropped account is not recreated: retire is irreversible.
 */
import { z } from 'zod';
import { CustosError } from '../../core/errors.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { PriorState, Step } from '../contract.js';
import type { Sql } from './mdb-admin.js';
import { alterUser, identifiedBy, lifetimeSql, readAccount, type AccountState } from './mdb-account.js';
import { entitlementsOf, grantKey } from './mdb-entitlements.js';
import { grantStatement, heldKey, readHeld } from './mdb-grants.js';
import { journalRow, keyOf, managedBy, markRolledBack, releaseAccount } from './mdb-journal.js';
import { endSessions } from './mdb-sessions.js';
import { accountSql, granteeOf, type Account } from './mdb-sql.js';
import { NATIVE_HASH, NO_PASSWORD } from './native-password.js';

export const priorSchema = z.object({
  exists: z.boolean(),
  account: z.string(),
  locked: z.boolean().nullable(),
  passwordExpired: z.boolean().nullable(),
  /** -1 the server default, 0 never, n days; null when the account does not exist. */
  passwordLifetimeDays: z.number().int().min(-1).max(65_535).nullable(),
  credentials: z.array(z.object({ fingerprint: z.string() })),
  grants: z.array(z.object({ privilege: z.string(), on: z.string(), name: z.string(), held: z.boolean() })),
});

export type Prior = z.infer<typeof priorSchema>;

/** The fingerprint of the account's credential; null when no password can match. */
export function credentialOf(state: AccountState, key: FingerprintKey): string | null {
  return state.hash === NO_PASSWORD ? null : fingerprint(key, state.hash);
}

/** Whether each of the step's grants was held before, keyed by grantKey. */
export function heldBefore(prior: Prior): Map<string, boolean> {
  return new Map(prior.grants.map((g) => [grantKey(g), g.held]));
}

export async function readPriorState(
  sql: Sql,
  step: Step,
  account: Account,
  key: FingerprintKey,
): Promise<PriorState> {
  const state = await readAccount(sql, account);
  const held = state === undefined ? new Set<string>() : await readHeld(sql, account);
  const credential = state === undefined ? null : credentialOf(state, key);
  return {
    exists: state !== undefined,
    account: granteeOf(account),
    locked: state?.locked ?? null,
    passwordExpired: state?.expired ?? null,
    passwordLifetimeDays: state?.lifetimeDays ?? null,
    credentials: credential === null ? [] : [{ fingerprint: credential }],
    grants: (entitlementsOf(step.params) ?? []).map((g) => ({ ...g, held: held.has(heldKey(g)) })),
  };
}

export async function restorePrior(
  sql: Sql,
  step: Step,
  account: Account,
  input: PriorState,
  key: FingerprintKey,
  now: Date,
): Promise<void> {
  const parsed = priorSchema.safeParse(input);
  if (!parsed.success || parsed.data.account !== granteeOf(account)) {
    throw new CustosError('INPUT_INVALID', 'prior state is not a mariadb prior state of this account');
  }
  const prior = parsed.data;
  const current = await readAccount(sql, account);
  const managed = await managedBy(sql, account);
  const ours = managed?.system === step.system.id && managed.identity === step.identity.id;
  if (current !== undefined && !ours)
    throw mismatch('the account is not managed by Custos for this identity');
  if (prior.exists && current === undefined) {
    throw mismatch('the account was dropped: retire cannot be rolled back');
  }
  if (!prior.exists) {
    if (current !== undefined) await sql.run(`DROP USER ${accountSql(account)}`);
    if (ours) await releaseAccount(sql, account);
  }
  const ends =
    current === undefined || !prior.exists
      ? current !== undefined
      : await restoreAccount(sql, step, account, prior, current, key);
  if (ends) await endSessions(sql, account.user);
  await markRolledBack(sql, keyOf(step), prior, now.getTime());
}

/** Undoes the differences; returns whether sessions must end (credential changed, lock, revoke). */
async function restoreAccount(
  sql: Sql,
  step: Step,
  account: Account,
  prior: Prior,
  current: AccountState,
  key: FingerprintKey,
): Promise<boolean> {
  let ends = false;
  let state = current;
  const wanted = prior.credentials[0]?.fingerprint ?? null;
  if (wanted !== credentialOf(state, key)) {
    await sql.run(alterUser(account, identifiedBy(await priorHash(sql, step, key, wanted))));
    state = (await readAccount(sql, account)) ?? state;
    ends = true;
  }
  if (prior.passwordExpired !== null && prior.passwordExpired !== state.expired) {
    // Setting the same hash again un-expires it (the server restarts the password's lifetime).
    await sql.run(alterUser(account, prior.passwordExpired ? 'PASSWORD EXPIRE' : restorable(state.hash)));
    ends ||= prior.passwordExpired;
  }
  if (prior.passwordLifetimeDays !== null && prior.passwordLifetimeDays !== state.lifetimeDays) {
    await sql.run(alterUser(account, lifetimeSql(prior.passwordLifetimeDays)));
  }
  if (prior.locked !== null && prior.locked !== state.locked) {
    await sql.run(alterUser(account, prior.locked ? 'ACCOUNT LOCK' : 'ACCOUNT UNLOCK'));
    ends ||= prior.locked;
  }
  const before = heldBefore(prior);
  const held = await readHeld(sql, account);
  for (const g of entitlementsOf(step.params) ?? []) {
    const was = before.get(grantKey(g));
    if (was === undefined || was === held.has(heldKey(g))) continue;
    await sql.run(grantStatement(was ? 'GRANT' : 'REVOKE', g, account));
    ends ||= !was;
  }
  return ends;
}

/** The hash this step replaced, from its journal row, if it is the one the prior state names. */
async function priorHash(sql: Sql, step: Step, key: FingerprintKey, wanted: string | null): Promise<string> {
  if (wanted === null) return NO_PASSWORD;
  const row = await journalRow(sql, keyOf(step));
  const hash = row?.prior_hash ?? null;
  if (hash === null || fingerprint(key, hash) !== wanted || !NATIVE_HASH.test(hash)) {
    throw mismatch('the prior password is not in the journal of this step');
  }
  return hash;
}

function restorable(hash: string): string {
  if (!NATIVE_HASH.test(hash) && hash !== NO_PASSWORD) {
    throw mismatch('the account has a credential Custos did not set and cannot restore');
  }
  return identifiedBy(hash);
}

function mismatch(why: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', why);
}
