/**
 * Rotation due: a credential a run issued (an API key, a database password) gets a durable timer
 * before it expires, scheduled in the transaction that completes the run. When it fires, the
 * identity's owners, the workflow's owners and the requester hear that the credential must be
 * rotated (a `credential.rotation_due` alert). A newer credential for the same identity replaces the
 * pending timer; short-lived tokens (under a day) get none.
 */
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Identity } from '../inventory/index.js';
import type { Workflow } from '../policy/workflow-schema.js';
import { raiseAlert } from '../alerts/index.js';
import { notifyList } from './notify.js';
import type { Run } from './run-model.js';
import type { DoneStep } from './inventory-effects.js';
import { addSeconds, cancelTimers, payloadText, scheduleTimer, type Timer } from './timers.js';

const DAY = 86400;

/** Schedules rotation-due timers for the credentials a completed run issued. */
export async function scheduleCredentialTimers(
  tx: LedgerTx,
  run: Run,
  steps: readonly DoneStep[],
  now: Date,
): Promise<void> {
  for (const step of steps) {
    const { outputs } = step;
    const expires = outputs['expiresAt'] ?? outputs['validUntil'];
    if (typeof expires !== 'string' || typeof outputs['fingerprint'] !== 'string') continue;
    const lifetime = (Date.parse(expires) - now.getTime()) / 1000;
    if (!(lifetime >= DAY)) continue;
    const identity = step.identityId;
    await cancelTimers(tx, identity, ['credential.expiring'], now);
    const lead = Math.min(7 * DAY, Math.floor(lifetime / 4));
    await scheduleTimer(
      tx,
      {
        kind: 'credential.expiring',
        subject: identity,
        dueAt: addSeconds(new Date(expires), -lead),
        payload: {
          run: run.id,
          step: step.stepId,
          system: step.systemId,
          fingerprint: outputs['fingerprint'],
          expiresAt: expires,
        },
      },
      now,
    );
  }
}

export async function fireCredentialTimer(
  tx: LedgerTx,
  timer: Timer,
  run: Run,
  workflow: Workflow | undefined,
  identity: Identity | undefined,
  now: Date,
): Promise<void> {
  const notify = notifyList([
    ...Object.values(identity?.owners ?? {}),
    workflow?.owners.platform,
    workflow?.owners.control,
    run.requester,
  ]);
  await raiseAlert(
    tx,
    {
      subject: { kind: 'identity', id: timer.subject },
      correlationId: run.id,
      kind: 'credential.rotation_due',
      severity: 'warning',
      notify,
      summary: `the credential of ${timer.subject} issued by ${run.id} expires at ${payloadText(timer, 'expiresAt')}: rotate it`,
      details: { ...timer.payload },
    },
    now,
  );
}
