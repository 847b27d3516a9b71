/**
 * Reads a step's effect back from the catalog (pg_authid, has_*_privilege, pg_stat_activity) and,
 * when the caller still holds the issued password, logs in with it for real.
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import type { AdminPool } from './pg-admin.js';
import { describeGrant, holds, parseGrants } from './pg-grants.js';
import { journalRow } from './pg-journal.js';
import { classifyLogin, tryLogin } from './pg-login.js';
import { countSessions, readRole } from './pg-role.js';

const ENDS_SESSIONS = new Set(['rotate', 'suspend', 'retire', 'end_sessions']);

export async function verifyStep(
  pool: AdminPool,
  step: Step,
  role: string,
  key: FingerprintKey,
  now: Date,
  secret?: string,
): Promise<VerifyResult> {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const read = await pool.transaction('verify', async (sql) => {
    const row = await journalRow(sql, step.runId, step.stepId);
    const state = await readRole(sql, role);
    const grants = [];
    for (const g of parseGrants(step.params)) grants.push({ g, held: await holds(sql, role, g) });
    const stale =
      state === undefined || row === undefined ? 0 : await countSessions(sql, state.oid, row.applied_at);
    return { row, state, grants, stale };
  });
  const { row, state } = read;
  if (row === undefined) {
    check('applied', false, `no effect recorded for ${step.runId}/${step.stepId}`);
    return { ok: false, checks };
  }
  const outputs = JSON.parse(row.outputs) as Record<string, JsonValue>;
  const issued = typeof outputs['fingerprint'] === 'string' ? outputs['fingerprint'] : undefined;
  if (row.rolled_back_at !== null) {
    check('rolled back', true, `rolled back at ${row.rolled_back_at.toISOString()}`);
  } else {
    const expectLogin: Partial<Record<string, boolean>> = {
      create: true,
      rotate: true,
      enable: true,
      suspend: false,
    };
    const wanted = expectLogin[step.action];
    if (step.action === 'retire')
      check('role dropped', state === undefined, state ? 'role still exists' : 'absent');
    else check('role exists', state !== undefined, state ? `oid ${state.oid}` : `role ${role} is absent`);
    if (wanted !== undefined && state)
      check('rolcanlogin', state.canLogin === wanted, `is ${state.canLogin}`);
    if (typeof outputs['validUntil'] === 'string' && state) {
      const ok =
        step.action === 'expire'
          ? new Date(state.validUntil) <= now
          : state.validUntil === outputs['validUntil'];
      check('rolvaliduntil', ok, `is ${state.validUntil}`);
    }
    if (step.action === 'rotate' && state) {
      check(
        'old password replaced',
        state.verifier !== row.prior_verifier,
        'verifier differs from the prior one',
      );
    }
    if (outputs['passwordRemoved'] === true && state)
      check('password removed', state.verifier === null, 'rolpassword');
    for (const { g, held } of read.grants) {
      const want = step.action !== 'revoke';
      check(`privilege ${describeGrant(g)}`, held === want, held ? 'held' : 'not held');
    }
    if (ENDS_SESSIONS.has(step.action) || outputs['passwordRemoved'] === true) {
      check('sessions ended', read.stale === 0, `${read.stale} session(s) opened before the step`);
    }
  }
  if (secret !== undefined && issued !== undefined) {
    const matches = fingerprint(key, secret) === issued;
    const login = matches
      ? classifyLogin(await tryLogin(pool.settings, role, secret), state?.validUntil, now)
      : 'not the issued secret';
    const want = row.rolled_back_at === null ? 'ok' : 'wrong_password';
    check('real login with the issued password', login === want, `${login} (expected ${want})`);
  }
  return { ok: checks.every((c) => c.ok), checks };
}
