/**
 * One step in one MULTI/EXEC under WATCH of the user's record: if the journal has the (run, step),
 * answer `already_applied` with its outputs; otherwise compute the effect from the state just read
 * and EXEC it together with its journal entry and ACL SAVE. The server runs them back to back, no
 * other client in between, so a crash of Custos leaves both or neither.
 *
 * Redis does not roll a MULTI back: should the ACL change itself fail at run time (it cannot for
 * the validated, restated rules sent here, short of a server-side change in between), the journal
 * entry that ran with it is withdrawn at once and the error is not retryable.
 */
import { CustosError } from '../../core/errors.js';
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { ApplyResult, Step } from '../contract.js';
import { readAclUser } from './redis-acl.js';
import type { AdminSession } from './redis-admin.js';
import { assertKnown, type Catalog } from './redis-catalog.js';
import { computeEffect, type Effect } from './redis-effects.js';
import { entitlementsOf } from './redis-entitlements.js';
import { refused, toConnectorError } from './redis-errors.js';
import {
  entryCommand,
  readEntry,
  readRecord,
  removeEntryCommand,
  type JournalEntry,
} from './redis-journal.js';
import { sweepUser } from './redis-overlap.js';
import { sessionIds } from './redis-sessions.js';
import { assertSaved, changeFailure, onUser, save } from './redis-tx.js';

export interface ApplyContext {
  readonly now: Date;
  readonly fingerprintKey: FingerprintKey;
  readonly catalog: () => Promise<Catalog>;
}

type Decided = { readonly done: ApplyResult } | { readonly effect: Effect };

export async function applyStep(
  session: AdminSession,
  step: Step,
  user: string,
  ctx: ApplyContext,
): Promise<ApplyResult> {
  // Bad input is refused before anything is read or written.
  const entitlements = entitlementsOf(step.params);
  if (entitlements !== undefined && entitlements.length > 0) assertKnown(await ctx.catalog(), entitlements);
  await sweepUser(session, user, ctx.now);
  const clientId = Number(await session.call('CLIENT', 'ID'));
  const call = (...argv: string[]) => session.call(...argv);
  const { result, replies } = await onUser<Decided>(session, user, step.action, async () => {
    const done = await readEntry(session, step);
    if (done !== undefined) {
      if (done.action !== step.action || done.user !== user) {
        throw refused(`step ${step.stepId} was applied as a different effect`);
      }
      return { result: { done: { outcome: 'already_applied', outputs: done.outputs } } };
    }
    const current = await readAclUser(call, user);
    const record = await readRecord(session, user);
    const sessions = step.action === 'end_sessions' ? (await sessionIds(session, user)).length : 0;
    const effect = computeEffect({ ...ctx, step, user, current, record, entitlements, sessions });
    const entry: JournalEntry = {
      action: step.action,
      user,
      outputs: effect.outputs,
      appliedAt: ctx.now.toISOString(),
      clientId,
      priorPasswords: [...(current?.passwords ?? [])],
      priorRetiring: [...(record?.retiring ?? [])],
      setHash: effect.setHash,
      rolledBackAt: null,
      restoredPrior: null,
    };
    return { result: { effect }, commands: [...effect.commands, entryCommand(step, entry)] };
  });
  if ('done' in result) {
    // The first attempt's ACL SAVE may have failed after its EXEC: save again (idempotent).
    await save(session, `${step.action} of ${user}`);
    return result.done;
  }
  await settle(session, step, user, replies ?? []);
  const { effect } = result;
  const applied: ApplyResult = { outcome: 'applied', outputs: effect.outputs };
  return effect.secret === undefined
    ? applied
    : {
        ...applied,
        secret: effect.secret,
        artifact: { hash: effect.secret.fingerprint, version: step.runId },
      };
}

/** Checks the EXEC's replies: the ACL change (first), what ran with it, and the final ACL SAVE. */
async function settle(
  session: AdminSession,
  step: Step,
  user: string,
  replies: Parameters<typeof changeFailure>[0],
) {
  const failed = changeFailure(replies);
  if (failed !== undefined) {
    const changed = replies[0]?.[0] === null;
    if (!changed) await session.call(...removeEntryCommand(step));
    const error = toConnectorError(failed, `${step.action} of ${user}`);
    throw new CustosError(
      'CONNECTOR_REFUSED',
      changed
        ? `${error.message} (the ACL change itself was applied; verify to see its state)`
        : error.message,
      { cause: failed },
    );
  }
  assertSaved(replies, `${step.action} of ${user}`);
}
