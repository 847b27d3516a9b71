/**
 * Reads a step's effect back from the server (mysql.global_priv, information_schema privileges and
 * processlist) and, when the caller holds a credential, logs in with it for real.
 *
 * A step that set a password is checked against the hash it set (kept in its journal row): the
 * account must still hold exactly that hash, so a password reset behind Custos's back is noticed
 * even when the caller no longer holds the secret. Hashes are compared here and never returned.
 * After a rollback, the account is compared with the prior state the rollback restored.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import type { AdminPool } from './mdb-admin.js';
import { readAccount, type AccountState } from './mdb-account.js';
import { ENDS_SESSIONS } from './mdb-effects.js';
import { describeGrant, entitlementsOf } from './mdb-entitlements.js';
import { heldKey, readHeld } from './mdb-grants.js';
import { journalRow, keyOf, type JournalRow } from './mdb-journal.js';
import { classifyLogin, tryLogin, type LoginOutcome } from './mdb-login.js';
import { staleSessions } from './mdb-sessions.js';
import type { Account } from './mdb-sql.js';
import { restoredChecks } from './mdb-verify-restore.js';
import { NO_PASSWORD, nativeHash } from './native-password.js';

/** The actions whose entitlements verify reads back (held; for revoke, not held). */
const GRANTING: ReadonlySet<string> = new Set(['create', 'grant', 'revoke']);

interface Read {
  readonly row: JournalRow;
  readonly state: AccountState | undefined;
  readonly held: ReadonlySet<string>;
  readonly stale: number;
  readonly outputs: Record<string, JsonValue>;
}

export async function verifyStep(
  pool: AdminPool,
  step: Step,
  account: Account,
  key: FingerprintKey,
  secret?: string,
): Promise<VerifyResult> {
  const read = await pool.session('verify', async (sql) => {
    const row = await journalRow(sql, keyOf(step));
    if (row === undefined) return undefined;
    const state = await readAccount(sql, account);
    const held = state === undefined ? new Set<string>() : await readHeld(sql, account);
    const { session_boundary: boundary, server_started: started } = row;
    const stale =
      boundary === null || started === null ? 0 : await staleSessions(sql, account.user, boundary, started);
    return { row, state, held, stale, outputs: JSON.parse(row.outputs) as Record<string, JsonValue> };
  });
  if (read === undefined) {
    const detail = `no effect recorded for ${step.runId}/${step.stepId}`;
    return { ok: false, checks: [{ name: 'applied', ok: false, detail }] };
  }
  const checks =
    read.row.rolled_back_at === null ? effectChecks(step, read) : restoredChecks(step, read, key);
  if (secret !== undefined) checks.push(await loginCheck(pool, step, account, read, key, secret));
  return { ok: checks.every((c) => c.ok), checks };
}

/** The checks of a step that has not been rolled back: its effect is on the target now. */
function effectChecks(step: Step, { row, state, held, stale, outputs }: Read): VerifyCheck[] {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  check(
    'recorded',
    row.status === 'applied',
    row.status === 'applied' ? 'applied' : 'intent only, never completed',
  );
  if (step.action === 'retire')
    check('account dropped', state === undefined, state ? 'still exists' : 'absent');
  else check('account exists', state !== undefined, state ? 'in mysql.global_priv' : 'absent');
  if (ENDS_SESSIONS.has(step.action)) {
    check('sessions ended', stale === 0, `${stale} session(s) opened before the step`);
  }
  if (state === undefined) return checks;
  if (step.action === 'create' || step.action === 'enable')
    check('account unlocked', !state.locked, `locked: ${state.locked}`);
  if (step.action === 'suspend') check('account locked', state.locked, `locked: ${state.locked}`);
  if (step.action === 'expire') check('password expired', state.expired, `expired: ${state.expired}`);
  if (step.action === 'rotate') {
    const replaced = state.hash !== row.prior_hash;
    check('old password replaced', replaced, replaced ? 'the hash differs from the prior one' : 'unchanged');
  }
  if (row.set_hash !== null) {
    const same = state.hash === row.set_hash;
    const what = row.set_hash === NO_PASSWORD ? 'no password' : 'the password this step set';
    check(`credential is ${what}`, same, same ? 'the stored hash is the one set' : 'changed after this step');
  }
  if (typeof outputs['passwordLifetimeDays'] === 'number') {
    const days = outputs['passwordLifetimeDays'];
    check('password lifetime', state.lifetimeDays === days, `${state.lifetimeDays} day(s), set ${days}`);
  }
  const want = step.action !== 'revoke';
  for (const g of GRANTING.has(step.action) ? (entitlementsOf(step.params) ?? []) : []) {
    const has = held.has(heldKey(g));
    check(`privilege ${describeGrant(g)}`, has === want, has ? 'held' : 'not held');
  }
  return checks;
}

/** A real login with the credential the caller holds: the issued one, or the account's current one. */
async function loginCheck(
  pool: AdminPool,
  step: Step,
  account: Account,
  { row, state, outputs }: Read,
  key: FingerprintKey,
  secret: string,
): Promise<VerifyCheck> {
  const name = 'real login';
  const rolledBack = row.rolled_back_at !== null;
  const issued = typeof outputs['fingerprint'] === 'string' ? outputs['fingerprint'] : undefined;
  let want: LoginOutcome;
  if (issued !== undefined) {
    if (fingerprint(key, secret) !== issued)
      return { name, ok: false, detail: 'not the secret this step issued' };
    want = rolledBack ? 'wrong_password' : 'ok';
  } else if (!rolledBack && (outputs['passwordRemoved'] === true || step.action === 'retire')) {
    if (nativeHash(secret) !== row.prior_hash)
      return { name, ok: false, detail: 'not the password this step revoked' };
    want = 'wrong_password'; // the credential the step revoked must fail
  } else if (state !== undefined && nativeHash(secret) === state.hash) {
    const byAction: Partial<Record<string, LoginOutcome>> = {
      suspend: 'locked',
      expire: 'expired',
      enable: 'ok',
    };
    want =
      (rolledBack ? undefined : byAction[step.action]) ??
      (state.locked ? 'locked' : state.expired ? 'expired' : 'ok');
  } else {
    return { name, ok: false, detail: "not the account's current password" };
  }
  const got = classifyLogin(await tryLogin(pool.settings, account.user, secret));
  return { name, ok: got === want, detail: `${got} (expected ${want})` };
}
