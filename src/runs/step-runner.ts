/**
 * Applies one step so that a crash at any point neither loses nor repeats its effect (in the
 * manner of durable execution: a step's result is stored under (run, step) and never re-executed).
 *
 * - planned: read the prior state from the target, journal `applying` with it, apply, journal
 *   `applied`. The prior is stored before the effect, so a restart never re-reads it afterwards
 *   (it would capture the new state as "prior" and make rollback a no-op).
 * - applying (an earlier attempt died or timed out between the two journal entries, so the effect's
 *   outcome is unknown): apply again. Connectors are idempotent per (run, step): the target's own
 *   journal answers `already_applied` with the recorded outputs if the effect took place, and
 *   applies it otherwise. The record says the outcome was `recovered`.
 * - applied / undelivered / rolled_back: the stored result stands; nothing is called.
 */
import { CustosError } from '../core/errors.js';
import type { Connector, IssuedSecret } from '../connectors/contract.js';
import type { Run } from './run-model.js';
import { bounded, type ExecuteDeps, type RunAuthority } from './execute-context.js';
import {
  issuesSecret,
  journalApplied,
  journalStarted,
  type StepResult,
  type StoredStep,
} from './run-steps.js';

export interface StepOutcome {
  readonly result: StepResult;
  /** The credential the effect issued, when this call received it. */
  readonly secret?: IssuedSecret;
  readonly recovered: boolean;
}

export function connectorFor(deps: ExecuteDeps, stored: StoredStep): Connector {
  const connector = deps.connectors.get(stored.step.system.type);
  if (connector === undefined) {
    throw new CustosError('CONNECTOR_REFUSED', `no connector for ${stored.step.system.type}`);
  }
  return connector;
}

export async function runStep(
  deps: ExecuteDeps,
  run: Run,
  stored: StoredStep,
  authority: RunAuthority,
): Promise<StepOutcome> {
  const { step } = stored;
  if (stored.status !== 'planned' && stored.status !== 'applying') {
    throw new TypeError(`step ${step.stepId} is ${stored.status}: there is nothing to apply`);
  }
  const connector = connectorFor(deps, stored);
  const recovered = stored.status === 'applying';
  if (!recovered) {
    const prior = await bounded(
      deps,
      'reading the prior state',
      step,
      connector.readPrior(step, await authority.token()),
    );
    deps.crashPoint?.('step_started:before');
    await deps.ledger.transact((tx) => journalStarted(tx, run, step, prior, authority.jti));
    deps.crashPoint?.('step_started:after');
  }
  const applied = await bounded(deps, 'applying', step, connector.apply(step, await authority.token()));
  deps.crashPoint?.('apply:after');
  const result: StepResult = {
    outcome: applied.outcome,
    outputs: applied.outputs,
    artifact: applied.artifact ?? null,
    attempt: run.attempts,
    issuedSecret: issuesSecret(applied),
  };
  await deps.ledger.transact((tx) => journalApplied(tx, run, step, result, recovered));
  deps.crashPoint?.('step_applied:after');
  return { result, recovered, ...(applied.secret === undefined ? {} : { secret: applied.secret }) };
}
