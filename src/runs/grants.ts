/**
 * Exceptions and break-glass over their lifetime. A completed exception run waives one control for
 * one identity until a date (reminder before, then re-approval or the workflow's remediation run);
 * a completed break-glass run opens a time-boxed grant notified to every owner, revoked at expiry by
 * a run of its own, and reviewed after the fact by the workflow's named reviewer (a missed review
 * escalates along the escalation path). Everything happens inside the transaction of the run
 * completion or the timer that calls for it, so nothing is lost across a restart.
 */
import crypto from 'node:crypto';
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import { requestedIdentities } from '../workflows/index.js';
import type { Identity } from '../inventory/index.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Actor } from '../ledger/record.js';
import type { Workflow } from '../policy/workflow-schema.js';
import { raiseAlert } from '../alerts/index.js';
import { notifyList } from './notify.js';
import { requestedMinutes } from './grant-limits.js';
import { insertGrant, listGrants, moveGrant, readGrant, type Grant } from './grant-store.js';
import type { Run } from './run-model.js';
import { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';
import { fileSystemRun } from './system-runs.js';
import { addSeconds, cancelTimers, scheduleTimer, type Timer } from './timers.js';

export interface GrantContext {
  readonly workflow: Workflow;
  readonly identity: Identity | undefined;
  readonly now: Date;
  /** How long after a break-glass expiry its review is due. */
  readonly reviewWithinSeconds: number;
}

function ownersOf(ctx: GrantContext): string[] {
  return notifyList([...Object.values(ctx.workflow.owners), ...Object.values(ctx.identity?.owners ?? {})]);
}

function text(run: Run, key: string): string {
  const value = run.request.context?.[key];
  return typeof value === 'string' ? value : '';
}

/** Called in the transaction that records a run's `verified`: opens or closes a grant. */
export async function onRunVerified(tx: LedgerTx, run: Run, ctx: GrantContext): Promise<void> {
  if (run.origin !== null) return closeGrant(tx, run, ctx.now);
  if (run.request.action !== 'exception' && run.request.action !== 'break_glass') return;
  const identityId = requestedIdentities(run.request)[0] ?? '';
  const minutes = requestedMinutes(run.request) ?? 0;
  const now = ctx.now;
  const expiresAt = addSeconds(now, minutes * 60);
  const id = `grant_${crypto.randomUUID()}`;
  const breakGlass = run.request.action === 'break_glass';
  const details: Record<string, JsonValue> = breakGlass
    ? { entitlements: run.request.context?.['entitlements'] ?? [] }
    : { control: text(run, 'control'), compensatingControl: text(run, 'compensatingControl') };
  const reviewDueAt = breakGlass ? addSeconds(new Date(expiresAt), ctx.reviewWithinSeconds) : null;
  if (!breakGlass) await supersede(tx, identityId, details['control'] as string, now);
  await insertGrant(tx, {
    id,
    kind: breakGlass ? 'break_glass' : 'exception',
    runId: run.id,
    identityId,
    workflow: ctx.workflow.name,
    details,
    grantedAt: now.toISOString(),
    expiresAt,
    reviewDueAt,
  });
  await scheduleTimer(tx, { kind: 'grant.expire', subject: id, dueAt: expiresAt, payload: {} }, now);
  if (breakGlass) {
    await scheduleTimer(
      tx,
      { kind: 'review.due', subject: id, dueAt: reviewDueAt!, payload: { level: 0 } },
      now,
    );
  } else {
    // Remind a quarter of the way before expiry, at most a week ahead.
    const lead = Math.min(7 * 86400, Math.floor((minutes * 60) / 4));
    const remindAt = addSeconds(new Date(expiresAt), -lead);
    await scheduleTimer(tx, { kind: 'grant.remind', subject: id, dueAt: remindAt, payload: {} }, now);
  }
  const reviewer = breakGlass ? ctx.workflow.owners[ctx.workflow.breakGlass!.reviewBy] : undefined;
  await tx.append({
    type: breakGlass ? 'break_glass.granted' : 'exception.granted',
    correlationId: run.id,
    actor: SYSTEM,
    subject: { kind: 'identity', id: identityId },
    ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
    payload: {
      grant: id,
      run: run.id,
      expiresAt,
      ...details,
      ...(reviewer === undefined ? {} : { reviewer, reviewDueAt }),
    },
  });
  await raiseAlert(
    tx,
    {
      subject: { kind: 'identity', id: identityId },
      correlationId: run.id,
      kind: breakGlass ? 'break_glass.granted' : 'exception.granted',
      severity: breakGlass ? 'critical' : 'warning',
      notify: breakGlass ? ownersOf(ctx) : notifyList([run.requester, ctx.workflow.owners.control]),
      summary: breakGlass
        ? `break-glass on ${identityId} granted to ${run.requester} until ${expiresAt}; review by ${reviewer ?? 'owner'}`
        : `exception on ${identityId} waives ${text(run, 'control')} until ${expiresAt}`,
      details: { grant: id, run: run.id, expiresAt },
    },
    now,
  );
}

/** A newer approved exception for the same identity and control replaces the one in force. */
async function supersede(tx: LedgerTx, identityId: string, control: string, now: Date): Promise<void> {
  for (const grant of await listGrants(tx, { identity: identityId, state: 'active' })) {
    if (grant.kind !== 'exception' || grant.details['control'] !== control) continue;
    await moveGrant(tx, grant, 'superseded', now);
    await cancelTimers(tx, grant.id, ['grant.remind', 'grant.expire'], now);
    await tx.append({
      type: 'exception.superseded',
      correlationId: grant.runId,
      actor: SYSTEM,
      subject: { kind: 'identity', id: identityId },
      payload: { grant: grant.id, control },
    });
  }
}

/** The revocation or remediation run completed: the grant ends. */
async function closeGrant(tx: LedgerTx, run: Run, now: Date): Promise<void> {
  const origin = run.origin!;
  const grant = await readGrant(tx, origin.grant);
  await moveGrant(tx, grant, origin.kind === 'revokes' ? 'revoked' : 'remediated', now);
  await tx.append({
    type: origin.kind === 'revokes' ? 'break_glass.revoked' : 'exception.remediated',
    correlationId: grant.runId,
    actor: SYSTEM,
    subject: { kind: 'identity', id: grant.identityId },
    payload: { grant: grant.id, run: run.id, openedBy: grant.runId },
  });
}

/** Fires a grant timer in the transaction that claimed it; returns runs to execute after commit. */
export async function fireGrantTimer(
  tx: LedgerTx,
  timer: Timer,
  grant: Grant,
  opener: Run,
  ctx: GrantContext,
): Promise<string[]> {
  const now = ctx.now;
  const subject = { kind: 'identity', id: grant.identityId };
  if (timer.kind === 'review.due') {
    if (grant.reviewedAt !== null) return [];
    const level = typeof timer.payload['level'] === 'number' ? timer.payload['level'] : 0;
    const to = ctx.workflow.escalation[level];
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: grant.runId,
        kind: 'break_glass.review_overdue',
        severity: 'critical',
        notify: notifyList([ctx.workflow.owners[ctx.workflow.breakGlass?.reviewBy ?? 'business'], to]),
        summary: `the review of break-glass ${grant.id} is overdue${to === undefined ? '' : `: escalated to ${to}`}`,
        details: { grant: grant.id, level: level + 1 },
      },
      now,
    );
    if (level + 1 < ctx.workflow.escalation.length) {
      await scheduleTimer(
        tx,
        {
          kind: 'review.due',
          subject: grant.id,
          dueAt: addSeconds(now, ctx.reviewWithinSeconds),
          payload: { level: level + 1 },
        },
        now,
      );
    }
    return [];
  }
  if (grant.state !== 'active') return [];
  if (timer.kind === 'grant.remind') {
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: grant.runId,
        kind: 'exception.expiring',
        severity: 'warning',
        notify: notifyList([opener.requester, ctx.workflow.owners.control]),
        summary: `exception ${grant.id} on ${grant.identityId} expires at ${grant.expiresAt}: re-approve it or it ends${ctx.workflow.exceptions?.remediation === undefined ? '' : ` and a ${ctx.workflow.exceptions.remediation} runs`}`,
        details: { grant: grant.id, expiresAt: grant.expiresAt },
      },
      now,
    );
    return [];
  }
  // grant.expire
  const action = grant.kind === 'break_glass' ? 'revoke' : ctx.workflow.exceptions?.remediation;
  const followUp =
    action === undefined
      ? undefined
      : await fileSystemRun(
          tx,
          {
            request: {
              principal: SYSTEM.id,
              action,
              resource: { identity: grant.identityId },
              context:
                grant.kind === 'break_glass' ? { entitlements: grant.details['entitlements'] ?? [] } : {},
            },
            systemId: ctx.identity?.system ?? '',
            workflow: grant.workflow,
            bundleHash: opener.bundleHash!,
            origin: {
              kind: grant.kind === 'break_glass' ? 'revokes' : 'remediates',
              grant: grant.id,
              run: grant.runId,
            },
            justification: `${grant.kind === 'break_glass' ? 'break-glass' : 'exception'} ${grant.id} expired at ${grant.expiresAt}`,
          },
          now,
        );
  const to = grant.kind === 'break_glass' ? 'revoking' : action === undefined ? 'expired' : 'remediating';
  await moveGrant(tx, grant, to, now, followUp);
  await tx.append({
    type: grant.kind === 'break_glass' ? 'break_glass.expired' : 'exception.expired',
    correlationId: grant.runId,
    actor: SYSTEM,
    subject,
    payload: { grant: grant.id, followUpRun: followUp ?? null },
  });
  if (grant.kind === 'exception') {
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: grant.runId,
        kind: 'exception.expired',
        severity: 'warning',
        notify: notifyList([opener.requester, ctx.workflow.owners.control]),
        summary: `exception ${grant.id} on ${grant.identityId} expired; the control is in force again`,
        details: { grant: grant.id, followUpRun: followUp ?? null },
      },
      now,
    );
  }
  return followUp === undefined ? [] : [followUp];
}

/** The named reviewer (or, once escalated, anyone on the escalation path) reviews a break-glass. */
export async function reviewGrant(
  tx: LedgerTx,
  grant: Grant,
  opener: Run,
  ctx: GrantContext,
  review: {
    readonly by: Actor;
    readonly verdict: 'appropriate' | 'inappropriate';
    readonly rationale: string;
  },
): Promise<void> {
  if (grant.kind !== 'break_glass')
    throw new CustosError('INPUT_INVALID', `${grant.id} is not a break-glass grant`);
  if (grant.reviewedAt !== null)
    throw new CustosError('RUN_TRANSITION_INVALID', `${grant.id} was already reviewed`);
  if (review.rationale.trim() === '') throw new CustosError('INPUT_INVALID', 'a review needs a rationale');
  if (review.by.id === opener.requester)
    throw new CustosError('SOD_VIOLATION', 'the person who used break-glass cannot review it', {
      details: { reason: 'requester' },
    });
  const reviewer = ctx.workflow.owners[ctx.workflow.breakGlass?.reviewBy ?? 'business'];
  const overdue = grant.reviewDueAt !== null && Date.parse(grant.reviewDueAt) <= ctx.now.getTime();
  if (review.by.id !== reviewer && !(overdue && ctx.workflow.escalation.includes(review.by.id))) {
    throw new CustosError(
      'APPROVAL_NOT_ELIGIBLE',
      `${review.by.id} is not the reviewer of ${grant.id} (${reviewer})`,
      {
        details: { reason: 'reviewer' },
      },
    );
  }
  const changed = await tx.run(
    'UPDATE grants SET reviewed_by = ?, reviewed_at = ? WHERE id = ? AND reviewed_at IS NULL',
    [review.by.id, ctx.now.toISOString(), grant.id],
  );
  if (changed !== 1) throw new CustosError('RUN_TRANSITION_INVALID', `${grant.id} was already reviewed`);
  await cancelTimers(tx, grant.id, ['review.due'], ctx.now);
  await tx.append({
    type: 'break_glass.reviewed',
    correlationId: grant.runId,
    actor: review.by,
    subject: { kind: 'identity', id: grant.identityId },
    payload: { grant: grant.id, verdict: review.verdict, rationale: review.rationale, overdue },
  });
}
