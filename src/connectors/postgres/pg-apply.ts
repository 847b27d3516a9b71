/**
 * One step in one transaction: lock the (run, step), return the journal's outputs if it already
 * took effect, otherwise apply the effect and write its journal row; then, after commit, end the
 * sessions the step invalidated (again on a repeat, in case the first attempt crashed in between).
 */
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { ApplyResult, Step } from '../contract.js';
import type { AdminPool } from './pg-admin.js';
import { applyEffect } from './pg-effects.js';
import { insertJournal, journalRow, lockStep } from './pg-journal.js';
import { readRole, terminateSessions } from './pg-role.js';

export interface ApplyContext {
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  readonly defaultTtlSeconds: number;
}

const ENDS_SESSIONS = new Set(['rotate', 'suspend', 'expire', 'retire']);

export async function applyStep(
  pool: AdminPool,
  step: Step,
  role: string,
  ctx: ApplyContext,
): Promise<ApplyResult> {
  const { result, endSessions, before } = await pool.transaction('apply', async (sql) => {
    await lockStep(sql, step.runId, step.stepId);
    const done = await journalRow(sql, step.runId, step.stepId);
    if (done !== undefined) {
      if (done.action !== step.action || done.role_name !== role) {
        throw new CustosError('CONNECTOR_REFUSED', `step ${step.stepId} was applied as a different effect`);
      }
      const outputs = JSON.parse(done.outputs) as Record<string, JsonValue>;
      const ends = ENDS_SESSIONS.has(done.action) || outputs['passwordRemoved'] === true;
      const oid = ends && done.rolled_back_at === null ? (await readRole(sql, role))?.oid : undefined;
      const again: ApplyResult = { outcome: 'already_applied', outputs };
      return { result: again, endSessions: oid, before: done.applied_at };
    }
    const current = await readRole(sql, role);
    const effect = await applyEffect({ ...ctx, sql, step, role, current });
    await insertJournal(sql, {
      run_id: step.runId,
      step_id: step.stepId,
      action: step.action,
      role_name: role,
      outputs: effect.outputs,
      prior_verifier: effect.priorVerifier,
      set_verifier: effect.setVerifier ?? null,
    });
    const applied: ApplyResult = { outcome: 'applied', outputs: effect.outputs };
    const result: ApplyResult =
      effect.secret === undefined
        ? applied
        : {
            ...applied,
            secret: effect.secret,
            artifact: { hash: effect.secret.fingerprint, version: step.runId },
          };
    return { result, endSessions: effect.endSessions, before: undefined };
  });
  if (endSessions !== undefined)
    await pool.transaction('end sessions', (sql) => terminateSessions(sql, endSessions, before));
  return result;
}
