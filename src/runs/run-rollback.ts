/**
 * rolling_back -> rolled_back (each step's prior state restored and verified, last step first) or
 * back to paused. Restoring is idempotent on the target, so a rollback killed half-way simply runs
 * again from the start on restart. A step whose outcome is unknown (`applying`: interrupted or timed
 * out) is settled first, through the connector's idempotent apply, so that the restore acts on a
 * known state; any credential that settling issues is withdrawn by the restore, never handed out.
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { Run } from './run-model.js';
import { transition } from './run-store.js';
import {
  RunAuthority,
  alertPaused,
  bounded,
  executorOf,
  failureOf,
  isConcurrent,
  recordRecovery,
  type ExecuteDeps,
} from './execute-context.js';
import { loadSteps, setStatus, type StoredStep } from './run-steps.js';
import { connectorFor, runStep } from './step-runner.js';

/** The steps to restore: everything that may have reached the target, newest first. */
const RESTORABLE = new Set(['applying', 'applied', 'undelivered']);

export async function rollbackRun(
  deps: ExecuteDeps,
  run: Run,
  options: { interrupted?: boolean; takenFrom?: string | null } = {},
): Promise<Run> {
  const steps = (await loadSteps(deps.ledger.store.read, deps.inventory, run.id))
    .filter((s) => RESTORABLE.has(s.status))
    .reverse();
  const authority = new RunAuthority(
    deps,
    run,
    steps.map((s) => s.step),
  );
  if (options.interrupted === true) {
    await recordRecovery(deps, run, authority, options.takenFrom ?? null);
  }
  deps.crashPoint?.('restore:before');
  let failure: string | undefined;
  const restored: JsonValue[] = [];
  for (const stored of steps) {
    try {
      restored.push({ step: stored.step.stepId, verified: await restore(deps, run, stored, authority) });
    } catch (e) {
      if (isConcurrent(e)) throw e;
      failure = failureOf(e, stored.step.stepId).reason;
      break;
    }
  }
  const { value: after } = await deps.ledger.transact(async (tx) => {
    const next = await transition(
      tx,
      run,
      failure === undefined ? 'rolled_back' : 'failed',
      executorOf(run),
      { restored, ...(failure === undefined ? {} : { reason: failure }) },
      { reason: failure ?? null },
      deps.now(),
    );
    if (next.state === 'paused') await alertPaused(tx, deps, run, failure ?? null);
    if (failure === undefined) {
      const ids = steps.map((s) => s.step.stepId);
      await setStatus(tx, run.id, ids, ['applying', 'applied', 'undelivered'], 'rolled_back');
    }
    return next;
  });
  if (failure === undefined) deps.crashPoint?.('rolled_back:after');
  return after;
}

/** Restores one step's prior state and verifies it; throws when it cannot be or does not verify. */
async function restore(
  deps: ExecuteDeps,
  run: Run,
  stored: StoredStep,
  authority: RunAuthority,
): Promise<boolean> {
  const { step } = stored;
  const connector = connectorFor(deps, stored);
  if (stored.prior === null)
    throw new CustosError('CONNECTOR_REFUSED', `cannot roll back ${step.stepId}: no prior state`);
  if (stored.status === 'applying') await runStep(deps, run, stored, authority);
  await bounded(deps, 'restoring', step, connector.rollback(step, await authority.token(), stored.prior));
  deps.crashPoint?.('restore:after');
  const check = await bounded(
    deps,
    'verifying the restore',
    step,
    connector.verify(step, await authority.token()),
  );
  if (!check.ok)
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `the prior state of ${step.stepId} did not verify after rollback`,
    );
  return check.ok;
}
