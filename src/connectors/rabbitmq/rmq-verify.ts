/**
 * Reads a step's effect back from the broker and, when the caller still holds the issued password,
 * logs in with it for real (AMQP). The expected state is the step's own journal entry: every op it
 * recorded must hold now (the password hash it set — so a reset behind Custos's back is noticed
 * even on a resume, without the secret —, permissions, limits, the user's absence after retire),
 * and no session the step ended may be open. After a rollback, the user is compared with the prior
 * state the rollback restored. Hashes are compared here and never returned.
 */
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import type { Step, VerifyCheck, VerifyResult } from '../contract.js';
import type { ManagementApi } from './rmq-http.js';
import { readJournal, type JournalEntry } from './rmq-journal.js';
import { tryLogin } from './rmq-login.js';
import { describeOp, holds, permissionOn } from './rmq-ops.js';
import { parsePrior } from './rmq-prior.js';
import { compensation } from './rmq-restore.js';
import { staleSessions } from './rmq-sessions.js';
import { isManagedBy, readUser, type UserState } from './rmq-user.js';

export async function verifyStep(
  api: ManagementApi,
  step: Step,
  user: string,
  key: FingerprintKey,
  secret?: string,
): Promise<VerifyResult> {
  const entry = await readJournal(api, step);
  if (entry === undefined || entry.status === 'pending') {
    const detail =
      entry === undefined
        ? `no effect recorded for ${step.runId}/${step.stepId}`
        : 'an attempt was interrupted: apply the step again to settle it';
    return { ok: false, checks: [{ name: 'applied', ok: false, detail }] };
  }
  const current = await readUser(api, user);
  const rolledBack = entry.status === 'rolled_back';
  const checks = rolledBack ? restoredChecks(step, entry, current, key) : effectChecks(step, entry, current);
  if (!rolledBack && entry.ops.some((o) => o.op === 'end_sessions'))
    checks.push(await sessionCheck(api, step, entry));
  const issued = entry.outputs['fingerprint'];
  if (secret !== undefined && typeof issued === 'string') {
    checks.push(
      await loginCheck(api, user, secret, fingerprint(key, secret) === issued, rolledBack, current),
    );
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * No session from before the step may be open. A suspended or deleted user may have none at all;
 * after the other steps, sessions opened later are legitimate (the new password, other vhosts).
 */
async function sessionCheck(api: ManagementApi, step: Step, entry: JournalEntry): Promise<VerifyCheck> {
  const none = step.action === 'suspend' || step.action === 'retire';
  const stale = await staleSessions(api, entry.user, none ? null : entry.endedAt);
  const detail = `${stale} session(s) open${none ? '' : ' from before the step'}`;
  return { name: 'sessions ended', ok: stale === 0, detail };
}

function effectChecks(step: Step, entry: JournalEntry, current: UserState | undefined): VerifyCheck[] {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (step.action !== 'retire') {
    check(
      'user exists',
      current !== undefined,
      current === undefined ? `user ${entry.user} is absent` : 'present',
    );
    if (current === undefined) return checks;
    check('managed by Custos', isManagedBy(current, step), `tags [${current.tags.join(', ')}]`);
  }
  for (const op of entry.ops) {
    if (op.op === 'end_sessions') continue;
    const ok = holds(op, current);
    const name =
      op.op === 'put_user' && entry.setHash !== null
        ? 'password hash is the one this step set'
        : describeOp(op);
    check(name, ok, ok ? 'holds' : 'changed after this step, not by it');
  }
  if (step.action === 'enable' && current !== undefined) {
    check(
      'not suspended',
      current.maxConnections !== 0,
      `max-connections is ${current.maxConnections ?? 'unset'}`,
    );
  }
  if (step.action === 'rotate' && current !== undefined) {
    const replaced = current.hash !== entry.priorHash;
    check('old password replaced', replaced, replaced ? 'the hash differs from the prior one' : 'unchanged');
  }
  return checks;
}

/** After a rollback: nothing left to compensate between the user and the restored prior state. */
function restoredChecks(
  step: Step,
  entry: JournalEntry,
  current: UserState | undefined,
  key: FingerprintKey,
): VerifyCheck[] {
  const mark: VerifyCheck = { name: 'rolled back', ok: true, detail: `journal entry ${entry.status}` };
  try {
    const prior = parsePrior(entry.restoredPrior);
    const left = compensation(step, prior, current, entry, key).filter((o) => o.op !== 'end_sessions');
    if (left.length === 0) {
      const detail = prior.exists
        ? 'the user is as before the step'
        : 'the user is absent, as before the step';
      return [mark, { name: 'prior state restored', ok: true, detail }];
    }
    return [
      mark,
      ...left.map((op) => ({
        name: 'prior state restored',
        ok: false,
        detail: `differs: ${describeOp(op)}`,
      })),
    ];
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'the prior state cannot be compared';
    return [mark, { name: 'prior state restored', ok: false, detail }];
  }
}

async function loginCheck(
  api: ManagementApi,
  user: string,
  secret: string,
  isIssued: boolean,
  rolledBack: boolean,
  current: UserState | undefined,
): Promise<VerifyCheck> {
  const name = 'real AMQP login with the issued password';
  if (!isIssued) return { name, ok: false, detail: 'not the secret this step issued' };
  const { amqp, timeoutMs } = api.settings;
  const outcome = await tryLogin(amqp, user, secret, timeoutMs);
  const canOpen =
    current !== undefined && current.maxConnections !== 0 && permissionOn(current, amqp.vhost) !== undefined;
  const want = rolledBack ? 'refused' : canOpen ? 'ok' : 'open_refused';
  return { name, ok: outcome === want, detail: `${outcome} on vhost ${amqp.vhost} (expected ${want})` };
}
