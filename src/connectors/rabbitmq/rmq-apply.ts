/**
 * One step, applied at most once per (run, step) across crashes and fresh connector instances:
 *
 *   1. the journal says `applied` (or rolled back): answer `already_applied` with its outputs;
 *   2. it says `pending` (an attempt died mid-way): resume it — if it set a password and that hash
 *      is not on the broker, the attempt never took effect (the hash is written first), so plan
 *      afresh; otherwise run its recorded ops again (idempotent), then record `applied`;
 *   3. otherwise: plan from the user's state, record `pending` with the ops, run them, record
 *      `applied`.
 *
 * Sessions are ended by the ops, before `applied` is recorded and before the secret is returned:
 * no session opened with the new password can exist yet, so ending every session of the user is
 * exact, and a repeat of an applied step never ends sessions again.
 */
import type { FingerprintKey } from '../../ledger/secrets.js';
import { CustosError } from '../../core/errors.js';
import type { ApplyResult, Step } from '../contract.js';
import { planEffect } from './rmq-effects.js';
import { isPermission } from './rmq-entitlements.js';
import type { ManagementApi } from './rmq-http.js';
import { assertSameEffect, readJournal, writeJournal, type JournalEntry } from './rmq-journal.js';
import { segment } from './rmq-names.js';
import { holds, runOps } from './rmq-ops.js';
import type { StepParams } from './rmq-params.js';
import { readUser, type UserState } from './rmq-user.js';

export interface ApplyContext {
  readonly user: string;
  readonly params: StepParams;
  readonly fingerprintKey: FingerprintKey;
  readonly now: Date;
}

export async function applyStep(api: ManagementApi, step: Step, ctx: ApplyContext): Promise<ApplyResult> {
  const entry = await readJournal(api, step);
  if (entry !== undefined) assertSameEffect(entry, step, ctx.user);
  if (entry !== undefined && entry.status !== 'pending') {
    return { outcome: 'already_applied', outputs: entry.outputs };
  }
  const current = await readUser(api, ctx.user);
  if (entry !== undefined) {
    const resumed = await resume(api, step, entry, current);
    if (resumed !== undefined) return resumed;
  }
  const vhost = api.settings.amqp.vhost;
  if (step.action === 'create' || step.action === 'grant')
    await assertVhostsExist(api, step, ctx.params, vhost);
  const effect = planEffect({ ...ctx, step, current, vhost });
  const pending: JournalEntry = {
    v: 1,
    system: step.system.id,
    identity: step.identity.id,
    user: ctx.user,
    runId: step.runId,
    stepId: step.stepId,
    action: step.action,
    status: 'pending',
    ops: effect.ops,
    outputs: effect.outputs,
    priorHash: current?.hash ?? null,
    priorAlgorithm: current?.algorithm ?? null,
    setHash: effect.setHash,
    endedAt: null,
    recordedAt: ctx.now.toISOString(),
    restoredPrior: null,
  };
  await writeJournal(api, step, pending);
  const outputs = await complete(api, step, pending);
  if (effect.secret === undefined) return { outcome: 'applied', outputs };
  return {
    outcome: 'applied',
    outputs,
    secret: effect.secret,
    artifact: { hash: effect.secret.fingerprint, version: step.runId },
  };
}

/** The result of resuming a pending entry, or undefined when it must be planned afresh. */
async function resume(
  api: ManagementApi,
  step: Step,
  entry: JournalEntry,
  current: UserState | undefined,
): Promise<ApplyResult | undefined> {
  if (entry.setHash !== null && current?.hash !== entry.setHash) return undefined;
  // A password set by the lost attempt is on the broker, but its secret is gone with the attempt.
  const tookEffect = entry.setHash !== null || entry.ops.every((op) => holds(op, current));
  const outputs = await complete(api, step, entry);
  return { outcome: tookEffect ? 'already_applied' : 'applied', outputs };
}

/** Runs the entry's ops and records the step as applied; returns its outputs. */
async function complete(api: ManagementApi, step: Step, entry: JournalEntry) {
  const done = await runOps(api, entry.user, entry.ops);
  const outputs = step.action === 'end_sessions' ? { ...entry.outputs, ended: done.ended } : entry.outputs;
  await writeJournal(api, step, {
    ...entry,
    status: 'applied',
    outputs,
    endedAt: done.endedAt ?? entry.endedAt,
  });
  return outputs;
}

/** Permissions on a missing vhost would fail half-way through a create: check them first. */
async function assertVhostsExist(api: ManagementApi, step: Step, params: StepParams, vhost: string) {
  const named = (params.entitlements ?? []).filter(isPermission).map((p) => p.vhost);
  const vhosts = new Set(step.action === 'create' ? [vhost, ...named] : named);
  for (const v of vhosts) {
    const found = await api.request('GET', `/vhosts/${segment(v)}`, undefined, { missingOk: true });
    if (found.status === 404) {
      throw new CustosError('CONNECTOR_REFUSED', `vhost ${v} does not exist on the broker`);
    }
  }
}
