/**
 * Reads a step's effect back from the catalog (pg_authid, has_*_privilege, pg_auth_members,
 * pg_stat_activity) and, when the caller still holds the issued password, logs in with it for real.
 *
 * A step that set a password is checked against the verifier it set (kept in its journal row):
 * pg_authid.rolpassword must still be exactly that verifier, so a password reset behind Custos's
 * back is noticed even on a resume, when the caller no longer holds the secret. The verifiers are
 * compared inside the connector and never returned. Reading pg_authid needs a superuser admin.
 * After a rollback, the role is compared with the prior state the rollback restored.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import type { AdminPool } from './pg-admin.js';
import { describeGrant, entitlementsOf, type Grant } from './pg-entitlements.js';
import { holding, holdingIs, type Holding } from './pg-grants.js';
import { journalRow, type JournalRow } from './pg-journal.js';
import { classifyLogin, tryLogin } from './pg-login.js';
import { countSessions, readRole, type RoleState } from './pg-role.js';
import { restoredChecks } from './pg-verify-restore.js';

const ENDS_SESSIONS = new Set(['rotate', 'suspend', 'retire', 'end_sessions']);
const EXPECT_LOGIN: Partial<Record<string, boolean>> = {
  create: true,
  rotate: true,
  enable: true,
  suspend: false,
};

export async function verifyStep(
  pool: AdminPool,
  step: Step,
  role: string,
  key: FingerprintKey,
  now: Date,
  secret?: string,
): Promise<VerifyResult> {
  const read = await pool.transaction('verify', async (sql) => {
    const row = await journalRow(sql, step.runId, step.stepId);
    const state = await readRole(sql, role);
    const grants = [];
    if (state !== undefined) {
      for (const g of entitlementsOf(step.params) ?? []) grants.push({ g, h: await holding(sql, role, g) });
    }
    const stale =
      state === undefined || row === undefined ? 0 : await countSessions(sql, state.oid, row.applied_at);
    const restored =
      row?.rolled_back_at == null ? [] : await restoredChecks(sql, step, role, row, state, key);
    return { row, state, grants, stale, restored };
  });
  const { row, state } = read;
  if (row === undefined) {
    const detail = `no effect recorded for ${step.runId}/${step.stepId}`;
    return { ok: false, checks: [{ name: 'applied', ok: false, detail }] };
  }
  const checks: VerifyCheck[] =
    row.rolled_back_at === null
      ? effectChecks(step, row, state, read.grants, read.stale, now)
      : read.restored;
  const outputs = JSON.parse(row.outputs) as Record<string, JsonValue>;
  const issued = typeof outputs['fingerprint'] === 'string' ? outputs['fingerprint'] : undefined;
  if (secret !== undefined && issued !== undefined) {
    const matches = fingerprint(key, secret) === issued;
    const login = matches
      ? classifyLogin(await tryLogin(pool.settings, role, secret), state?.validUntil, now)
      : 'not the issued secret';
    const want = row.rolled_back_at === null ? 'ok' : 'wrong_password';
    checks.push({
      name: 'real login with the issued password',
      ok: login === want,
      detail: `${login} (expected ${want})`,
    });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/** The checks of a step that has not been rolled back: its effect is on the target now. */
function effectChecks(
  step: Step,
  row: JournalRow,
  state: RoleState | undefined,
  grants: readonly { g: Grant; h: Holding }[],
  stale: number,
  now: Date,
): VerifyCheck[] {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const outputs = JSON.parse(row.outputs) as Record<string, JsonValue>;
  if (step.action === 'retire')
    check('role dropped', state === undefined, state ? 'role still exists' : 'absent');
  else
    check('role exists', state !== undefined, state ? `oid ${state.oid}` : `role ${row.role_name} is absent`);
  if (ENDS_SESSIONS.has(step.action) || outputs['passwordRemoved'] === true) {
    check('sessions ended', stale === 0, `${stale} session(s) opened before the step`);
  }
  if (state === undefined) return checks;
  const wanted = EXPECT_LOGIN[step.action];
  if (wanted !== undefined) check('rolcanlogin', state.canLogin === wanted, `is ${state.canLogin}`);
  if (typeof outputs['validUntil'] === 'string') {
    const ok =
      step.action === 'expire'
        ? new Date(state.validUntil) <= now
        : state.validUntil === outputs['validUntil'];
    check('rolvaliduntil', ok, `is ${state.validUntil}`);
  }
  if (step.action === 'rotate') {
    const replaced = state.verifier !== row.prior_verifier;
    check('old password replaced', replaced, replaced ? 'verifier differs from the prior one' : 'unchanged');
  }
  if (step.action === 'create' || step.action === 'rotate') {
    const same = row.set_verifier !== null && state.verifier === row.set_verifier;
    const detail =
      row.set_verifier === null
        ? 'the step kept no verifier to compare with (journal row from an older connector)'
        : same
          ? 'pg_authid.rolpassword is the verifier this step set'
          : 'pg_authid.rolpassword was changed after this step, not by it';
    check('password is the one this step set', same, detail);
  }
  if (outputs['passwordRemoved'] === true) check('password removed', state.verifier === null, 'rolpassword');
  for (const { g, h } of grants) {
    const want = step.action !== 'revoke';
    const detail = h.of === 1 ? (h.held === 1 ? 'held' : 'not held') : `held on ${h.held} of ${h.of}`;
    check(`privilege ${describeGrant(g)}`, holdingIs(h, want), detail);
  }
  return checks;
}
