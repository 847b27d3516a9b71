/**
 * Approval timing from the decision's route: a reminder to the groups still owed an approval, an
 * escalation along the workflow's escalation path (one person per escalation period), and expiry.
 * Each timer is scheduled with the `decided_approvals` transition and fires only while the run
 * still awaits approval; a run that moved on lets its timers lapse without effect.
 */
import { CustosError } from '../core/errors.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import { evaluateApprovals } from '../approvals/index.js';
import type { DecisionRoute } from '../policy/index.js';
import { durationSeconds } from '../policy/duration.js';
import type { Workflow } from '../policy/workflow-schema.js';
import { raiseAlert } from '../alerts/index.js';
import type { Run } from './run-model.js';
import { transition } from './run-store.js';
import { SYSTEM_ACTOR as SYSTEM } from '../ledger/ledger.js';
import { addSeconds, scheduleTimer, type Timer } from './timers.js';
import { runVotes } from './run-votes.js';

/** Schedules the route's reminder, first escalation and expiry (inside the decision's transaction). */
export async function scheduleApprovalTimers(
  tx: LedgerTx,
  runId: string,
  route: DecisionRoute,
  now: Date,
): Promise<void> {
  const seconds = (d: string | undefined, what: string): number => {
    const s = d === undefined ? undefined : durationSeconds(d);
    if (s === undefined) throw new CustosError('WORKFLOW_INVALID', `route ${route.name} has no ${what}`);
    return s;
  };
  const expires = seconds(route.expiresAfter, 'expiresAfter');
  await scheduleTimer(
    tx,
    {
      kind: 'approval.remind',
      subject: runId,
      dueAt: addSeconds(now, seconds(route.remindAfter, 'remindAfter')),
      payload: {},
    },
    now,
  );
  await scheduleTimer(
    tx,
    {
      kind: 'approval.escalate',
      subject: runId,
      dueAt: addSeconds(now, seconds(route.escalateAfter, 'escalateAfter')),
      payload: { level: 0 },
    },
    now,
  );
  await scheduleTimer(
    tx,
    { kind: 'approval.expire', subject: runId, dueAt: addSeconds(now, expires), payload: {} },
    now,
  );
}

/** Fires one approval timer inside the transaction that claimed it. */
export async function fireApprovalTimer(
  tx: LedgerTx,
  timer: Timer,
  run: Run,
  workflow: Workflow,
  now: Date,
): Promise<void> {
  if (run.state !== 'awaiting_approval' || run.decision?.route === undefined) return;
  const route = run.decision.route;
  const subject = { kind: 'run', id: run.id };
  if (timer.kind === 'approval.remind') {
    const pending = evaluateApprovals({
      route,
      requester: run.requester,
      executor: run.executor ?? 'executor:unknown',
      approvals: await runVotes(tx, run.id),
    }).pending;
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: run.id,
        kind: 'approval.reminder',
        severity: 'info',
        notify: pending.map((p) => p.group),
        summary: `run ${run.id} still awaits ${pending.map((p) => `${p.count} from ${p.group}`).join(', ')}`,
        details: { pending: pending.map((p) => ({ group: p.group, count: p.count })) },
      },
      now,
    );
    return;
  }
  if (timer.kind === 'approval.escalate') {
    const level = typeof timer.payload['level'] === 'number' ? timer.payload['level'] : 0;
    const to = workflow.escalation[level];
    if (to === undefined) return;
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: run.id,
        kind: 'approval.escalated',
        severity: 'warning',
        notify: [to],
        summary: `run ${run.id} has waited too long for approval: escalated to ${to} (level ${level + 1})`,
        details: { level: level + 1, to, route: route.name },
      },
      now,
    );
    const period = route.escalateAfter === undefined ? undefined : durationSeconds(route.escalateAfter);
    if (period !== undefined && level + 1 < workflow.escalation.length) {
      await scheduleTimer(
        tx,
        {
          kind: 'approval.escalate',
          subject: run.id,
          dueAt: addSeconds(now, period),
          payload: { level: level + 1 },
        },
        now,
      );
    }
    return;
  }
  if (timer.kind === 'approval.expire') {
    const reason = `no decision within ${route.expiresAfter ?? 'the route expiry'}`;
    await transition(tx, run, 'expired', SYSTEM, { reason }, { reason }, now);
    await raiseAlert(
      tx,
      {
        subject,
        correlationId: run.id,
        kind: 'approval.expired',
        severity: 'warning',
        notify: [run.requester],
        summary: `run ${run.id} expired: ${reason}`,
        details: { route: route.name },
      },
      now,
    );
  }
}
