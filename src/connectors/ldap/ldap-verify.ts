/**
 * Reads a step's effect back from the directory and, when the caller still holds the issued
 * password, binds with it for real.
 *
 * Without the old password (Custos never keeps it), "the old password fails" is shown on the
 * entry: a simple bind succeeds only if some userPassword value matches, so once the old values
 * are gone, the old password cannot bind. Verify therefore requires that the account holds no
 * password value but the one this step set (and, inside a rotation's overlap window, the old ones
 * until the window's end). A suspension is checked against the password policy that enforces it:
 * `pwdAccountLockedTime` is ignored unless the entry's policy has `pwdLockout: TRUE`.
 */
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import { LOCKED_FOREVER, credentialFingerprints, readAccount, type AccountState } from './ldap-account.js';
import type { Ldap } from './ldap-admin.js';
import { classifyBind, tryBind } from './ldap-bind.js';
import type { GroupGrant } from './ldap-entitlements.js';
import { memberships } from './ldap-groups.js';
import { readJournal, type JournalRecord } from './ldap-journal.js';
import { groupsHolding } from './ldap-retire.js';
import type { LdapSettings } from './ldap-settings.js';
import { restoredChecks } from './ldap-verify-restore.js';

const EXPECT_UNLOCKED = new Set(['create', 'rotate', 'enable']);
const MEMBERSHIPS = new Set(['create', 'grant', 'revoke']);

export interface VerifyContext {
  readonly step: Step;
  readonly settings: LdapSettings;
  readonly account: string;
  readonly groups: readonly GroupGrant[];
  readonly key: FingerprintKey;
  readonly now: Date;
}

export async function verifyStep(ldap: Ldap, ctx: VerifyContext, secret?: string): Promise<VerifyResult> {
  const { step } = ctx;
  const journal = await readJournal(ldap, ctx.settings, step.runId, step.stepId);
  if (journal === undefined || journal.record.state === 'pending') {
    const detail =
      journal === undefined ? 'no effect recorded' : 'the outcome is not settled: apply the step again';
    return {
      ok: false,
      checks: [{ name: 'applied', ok: false, detail: `${step.runId}/${step.stepId}: ${detail}` }],
    };
  }
  const { record } = journal;
  const state = await readAccount(ldap, ctx.account);
  const checks =
    record.state === 'rolled_back'
      ? await restoredChecks(ldap, ctx, record, state)
      : await effectChecks(ldap, ctx, record, state);
  const issued = record.outputs['fingerprint'];
  if (secret !== undefined && typeof issued === 'string') {
    const login =
      fingerprint(ctx.key, secret) === issued
        ? classifyBind(await tryBind(ctx.settings, ctx.account, secret), state, ctx.now)
        : 'not the issued secret';
    const want = record.state === 'rolled_back' ? ['wrong_password', 'no_account'] : ['ok'];
    checks.push({
      name: 'real bind with the issued password',
      ok: want.includes(login),
      detail: `${login} (expected ${want.join(' or ')})`,
    });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

async function effectChecks(
  ldap: Ldap,
  ctx: VerifyContext,
  record: JournalRecord,
  state: AccountState | undefined,
): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const { step } = ctx;
  if (step.action === 'retire') {
    check('entry deleted', state === undefined, state === undefined ? 'absent' : 'the entry still exists');
    const left = await groupsHolding(ldap, ctx.settings, ctx.account);
    check('no group keeps the account', left.length === 0, left.length === 0 ? 'none' : left.join('; '));
    return checks;
  }
  if (state === undefined) {
    check('entry exists', false, `${ctx.account} is absent`);
    return checks;
  }
  const managed = state.managed?.system === step.system.id && state.managed.identity === step.identity.id;
  check(
    'entry managed for this identity',
    managed,
    managed ? 'custos marker matches' : 'marker missing or different',
  );
  if (record.setFingerprint !== undefined) passwordChecks(check, ctx, record, state);
  if (EXPECT_UNLOCKED.has(step.action))
    check('not locked', state.locked === null, `pwdAccountLockedTime ${state.locked ?? 'absent'}`);
  if (step.action === 'suspend') {
    check('locked', state.locked === LOCKED_FOREVER, `pwdAccountLockedTime ${state.locked ?? 'absent'}`);
    checks.push(await lockEnforced(ldap, ctx, state));
  }
  const validUntil = record.outputs['validUntil'];
  if (typeof validUntil === 'string') {
    const ok =
      step.action === 'expire'
        ? state.validUntil !== null && Date.parse(state.validUntil) <= ctx.now.getTime()
        : state.validUntil === validUntil;
    check('pwdEndTime', ok, `is ${state.validUntil ?? 'absent'}`);
  }
  if (record.outputs['passwordRemoved'] === true) {
    check('no password value left', state.passwords.length === 0, `${state.passwords.length} value(s)`);
  }
  if (MEMBERSHIPS.has(step.action) && record.outputs['passwordRemoved'] !== true) {
    const want = step.action !== 'revoke';
    for (const m of await memberships(ldap, ctx.groups, ctx.account)) {
      check(
        `${want ? '' : 'not '}member of ${m.grant.group}`,
        m.member === want,
        m.member ? 'member' : 'not a member',
      );
    }
  }
  return checks;
}

/** The value this step set is there, and no other value is, except old ones inside the overlap. */
function passwordChecks(
  check: (name: string, ok: boolean, detail: string) => void,
  ctx: VerifyContext,
  record: JournalRecord,
  state: AccountState,
): void {
  const held = credentialFingerprints(state, ctx.key);
  const set = record.setFingerprint!;
  const has = held.includes(set);
  check(
    'password is the one this step set',
    has,
    has ? 'its value is on the entry' : 'changed after this step, not by it',
  );
  const overlap = record.overlap;
  const open = overlap !== undefined && Date.parse(overlap.until) > ctx.now.getTime();
  const others = held.filter((f) => f !== set);
  const allowed = new Set(open ? overlap.fingerprints : []);
  const stray = others.filter((f) => !allowed.has(f));
  const detail =
    stray.length > 0
      ? overlap !== undefined && stray.every((f) => overlap.fingerprints.includes(f))
        ? `the old password outlived its overlap window (ended ${overlap.until}): endOverlaps has not run`
        : `${stray.length} other password value(s) bind too`
      : others.length > 0
        ? `the old password binds until ${overlap?.until ?? '?'} (overlap)`
        : 'no other password value';
  check('old password removed', stray.length === 0, detail);
}

async function lockEnforced(ldap: Ldap, ctx: VerifyContext, state: AccountState): Promise<VerifyCheck> {
  const name = 'lock enforced by the password policy';
  const dn = state.policy ?? ctx.settings.policyDn;
  if (dn === undefined) {
    return { name, ok: false, detail: 'cannot tell: set connection.policyDn to the default pwdPolicy entry' };
  }
  const policy = await ldap.read(dn, ['pwdLockout']);
  const lockout = policy?.text('pwdLockout')[0];
  return { name, ok: lockout === 'TRUE', detail: `${dn}: pwdLockout ${lockout ?? 'absent'}` };
}
