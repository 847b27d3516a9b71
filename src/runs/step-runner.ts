/**
 * Applies one step so that a crash at any point neither loses nor repeats its effect (in the
 * manner of durable execution: a step's result is stored under (run, step) and never re-executed).
 *
 * - planned: read the prior state from the target, journal `applying` with it, apply, journal
 *   `applied`. The prior is stored before the effect, so a restart never re-reads it afterwards
 *   (it would capture the new state as "prior" and make rollback a no-op). Execution reads the
 *   prior of a run's first step before it starts, and journals it with the start (run-execute.ts).
 * - applying (an earlier attempt died or timed out between the two journal entries, so the effect's
 *   outcome is unknown): apply again. Connectors are idempotent per (run, step): the target's own
 *   journal answers `already_applied` with the recorded outputs if the effect took place, and
 *   applies it otherwise. The record says the outcome was `recovered`.
 * - applied / undelivered / rolled_back: the stored result stands; nothing is called.
 */
import { CustosError } from '../core/errors.js';
import type { Connector, IssuedSecret, PriorState, Step } from '../connectors/contract.js';
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
  readonly step: Step;
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

/** The target's state before the step, read under the run's authority (bounded by the step timeout). */
export async function readPrior(
  deps: ExecuteDeps,
  stored: StoredStep,
  authority: RunAuthority,
): Promise<PriorState> {
  const connector = connectorFor(deps, stored);
  const { step } = stored;
  return bounded(deps, 'reading the prior state', step, connector.readPrior(step, await authority.token()));
}

/**
 * Applies a planned or applying step and returns its result without journalling it as applied:
 * the caller records `run.step_applied` (with `run.applied` when it is the run's last step).
 * `startedNow`: the step is `applying` because this very call journalled its start (its outcome is
 * not unknown, so it is not `recovered`).
 */
export async function applyStep(
  deps: ExecuteDeps,
  run: Run,
  stored: StoredStep,
  authority: RunAuthority,
  startedNow = false,
): Promise<StepOutcome> {
  const { step } = stored;
  if (stored.status !== 'planned' && stored.status !== 'applying') {
    throw new TypeError(`step ${step.stepId} is ${stored.status}: there is nothing to apply`);
  }
  const connector = connectorFor(deps, stored);
  const recovered = stored.status === 'applying' && !startedNow;
  if (stored.status === 'planned') {
    const prior = await readPrior(deps, stored, authority);
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
  return { step, result, recovered, ...(applied.secret === undefined ? {} : { secret: applied.secret }) };
}

/** applyStep, then its `run.step_applied` in a transaction of its own. */
export async function runStep(
  deps: ExecuteDeps,
  run: Run,
  stored: StoredStep,
  authority: RunAuthority,
): Promise<StepOutcome> {
  const outcome = await applyStep(deps, run, stored, authority);
  await deps.ledger.transact((tx) =>
    journalApplied(tx, run, outcome.step, outcome.result, outcome.recovered),
  );
  deps.crashPoint?.('step_applied:after');
  return outcome;
}
