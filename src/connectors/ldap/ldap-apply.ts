/**
 * One step, applied at most once per (run, step) with the journal on the directory (see
 * ldap-journal.ts): write the intent (`pending`), change the account, ensure the memberships,
 * mark it `applied`. A repeat finds the record and answers `already_applied` with its outputs.
 *
 * A `pending` record means an attempt started and did not finish: still running (its lease is
 * fresh: wait for it), or dead. For a dead one, the account's state decides: if the intended
 * change is there, finish the record (`already_applied`; a password it issued was lost with the
 * attempt, as the engine expects); if not, take the record over with a new intent and apply.
 * Taking over is a compare-and-swap, so two attempts never both proceed.
 */
import crypto from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import type { ApplyResult } from '../contract.js';
import { readAccount } from './ldap-account.js';
import type { Ldap } from './ldap-admin.js';
import { sameDn } from './ldap-dn.js';
import { effectPresent, ensureGroups, planIntent, type EffectContext, type Intent } from './ldap-effects.js';
import { assertGroups } from './ldap-groups.js';
import { createRecord, readJournal, swapRecord, type JournalRecord, type Journaled } from './ldap-journal.js';
import { sweepOverlaps } from './ldap-overlap.js';

export interface ApplyContext extends EffectContext {
  /** How long an attempt's intent holds off other attempts of the same step. */
  readonly leaseMs: number;
  /** How long (real time) to wait for a live attempt of the same step before answering "retry". */
  readonly waitMs: number;
}

const POLL_MS = 50;

export async function applyStep(ldap: Ldap, ctx: ApplyContext): Promise<ApplyResult> {
  const { step, settings, account, key, now } = ctx;
  await sweepOverlaps(ldap, settings, key, now, account);
  for (let poll = 0; ; poll++) {
    const found = await readJournal(ldap, settings, step.runId, step.stepId);
    if (found === undefined) {
      const intent = await intentFor(ldap, ctx);
      const created = await createRecord(ldap, settings, recordOf(ctx, intent));
      if (created === undefined) continue; // another attempt wrote first: read its record
      return carryOut(ldap, ctx, created, intent);
    }
    assertSameStep(found.record, ctx);
    if (found.record.state !== 'pending')
      return { outcome: 'already_applied', outputs: found.record.outputs };
    if (effectPresent(found.record, await readAccount(ldap, account), key)) {
      await ensureGroups(ldap, ctx);
      await markApplied(ldap, ctx, found);
      return { outcome: 'already_applied', outputs: found.record.outputs };
    }
    if (Date.parse(found.record.startedAt) + ctx.leaseMs > now.getTime()) {
      if (poll * POLL_MS >= ctx.waitMs) {
        throw new CustosError(
          'TARGET_STATE_MISMATCH',
          `another attempt of ${step.runId}/${step.stepId} is in progress`,
          {
            retryable: true,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    const intent = await intentFor(ldap, ctx);
    const taken = await swapRecord(ldap, found, recordOf(ctx, intent));
    return carryOut(ldap, ctx, taken, intent);
  }
}

/** Reads the account and plans the change; refuses (before any write) what cannot be done. */
async function intentFor(ldap: Ldap, ctx: EffectContext): Promise<Intent> {
  const intent = planIntent(ctx, await readAccount(ldap, ctx.account));
  if (['create', 'grant'].includes(ctx.step.action))
    await assertGroups(ldap, ctx.params.groups ?? [], ctx.settings.groupsDn);
  return intent;
}

async function carryOut(
  ldap: Ldap,
  ctx: ApplyContext,
  journaled: Journaled,
  intent: Intent,
): Promise<ApplyResult> {
  try {
    await intent.change?.(ldap);
    await ensureGroups(ldap, ctx);
  } catch (error) {
    // Release the lease so that a retry settles the record at once instead of waiting it out.
    await swapRecord(ldap, journaled, { ...journaled.record, startedAt: new Date(0).toISOString() }).catch(
      () => undefined,
    );
    throw error;
  }
  await markApplied(ldap, ctx, journaled);
  const result: ApplyResult = { outcome: 'applied', outputs: journaled.record.outputs };
  if (intent.secret === undefined) return result;
  return {
    ...result,
    secret: intent.secret,
    artifact: { hash: intent.secret.fingerprint, version: ctx.step.runId },
  };
}

function recordOf(ctx: ApplyContext, intent: Intent): JournalRecord {
  const { step } = ctx;
  return {
    v: 1,
    run: step.runId,
    step: step.stepId,
    action: step.action,
    system: step.system.id,
    identity: step.identity.id,
    account: ctx.account,
    state: 'pending',
    attempt: crypto.randomBytes(8).toString('hex'),
    startedAt: ctx.now.toISOString(),
    ...intent.fields,
  };
}

/**
 * pending -> applied. Whoever saw the change first may mark it (the attempt that made it, or a
 * concurrent one that found it on the account): losing that race to the same attempt's record is fine.
 */
async function markApplied(ldap: Ldap, ctx: ApplyContext, journaled: Journaled): Promise<void> {
  const done: JournalRecord = { ...journaled.record, state: 'applied', appliedAt: ctx.now.toISOString() };
  await swapRecord(ldap, journaled, done).catch(async (error: unknown) => {
    const now = await readJournal(ldap, ctx.settings, ctx.step.runId, ctx.step.stepId);
    if (now?.record.state !== 'applied' || now.record.attempt !== journaled.record.attempt) throw error;
  });
}

function assertSameStep(record: JournalRecord, ctx: ApplyContext): void {
  const { step } = ctx;
  const same =
    record.action === step.action &&
    record.system === step.system.id &&
    record.identity === step.identity.id &&
    sameDn(record.account, ctx.account);
  if (!same) {
    throw new CustosError(
      'CONNECTOR_REFUSED',
      `step ${step.runId}/${step.stepId} was applied as a different effect`,
    );
  }
}
