/**
 * Execution and verification of an approved run, with a delegated authority minted for this run
 * alone. Every move is durable before the next begins, so a run killed at any point continues from
 * its last record: applied steps are never applied again, a step whose outcome is unknown is settled
 * against the target first (step-runner.ts), and every connector call is bounded by the step
 * timeout. A connector error, a timeout, a failed verification or a credential that could not be
 * delivered pauses the run — never success.
 *
 * Moves that nothing changes between commit together: the start of execution (with the automatic
 * decision that allowed it, when there was one, the filing of the request when it was submitted and
 * decided at once, and the first step's `step_started` with the prior state read just before), and a
 * run's last `step_applied` with `applied` and the verdict of its verification (`verified`, or
 * `failed` with the pause): verification only reads the targets back. A crash before that commit
 * leaves the step `applying`, exactly as a crash just after the effect did before: the restart
 * settles it against the target's journal (step-runner.ts). Each record is still appended in the
 * transaction of the state change it records, in the same order.
 *
 * Secrets are held in memory only and handed to the caller once, when this call returns. A call
 * that continues an interrupted attempt (`interrupted`: a restart, or a run found mid-flight) has no
 * one to hand them to; nor can an effect that is `already_applied` return its secret. Such a
 * credential is undelivered: the run pauses for a person to roll back or abort it (fail closed).
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { IssuedSecret, PriorState } from '../connectors/contract.js';
import type { Run } from './run-model.js';
import { SYSTEM_ACTOR } from '../ledger/ledger.js';
import type { PlannedDecision } from './run-engine.js';
import type { RunWrite } from './run-writes.js';
import {
  RunAuthority,
  alertPaused,
  executorOf,
  failureOf,
  isConcurrent,
  recordRecovery,
  type ExecuteDeps,
} from './execute-context.js';
import { verifySteps } from './run-verify.js';
import { undelivered, undeliveredPause, type Pause } from './undelivered.js';
import {
  appliedMove,
  doneStepsOf,
  journalApplied,
  loadSteps,
  plannedSteps,
  setStatus,
  startedMove,
  type StoredStep,
} from './run-steps.js';
import { applyStep, readPrior, type StepOutcome } from './step-runner.js';

export { rollbackRun } from './run-rollback.js';
export type { ExecuteDeps, ExecuteHooks } from './execute-context.js';

export interface Executed {
  readonly run: Run;
  /** Secrets issued by this call's steps, in step order: for the requester, once; never recorded. */
  readonly secrets: readonly DeliveredSecret[];
}

/** An issued secret and whose it is (a fan-out issues one per identity). */
export interface DeliveredSecret extends IssuedSecret {
  readonly stepId: string;
  readonly system: string;
  readonly identity: string;
}

export interface ExecuteOptions {
  /** Continue an attempt a crash interrupted: its secrets are lost, and so are any issued now. */
  readonly interrupted?: boolean;
  /** An automatic decision not yet recorded: it commits with the start of execution. */
  readonly decided?: PlannedDecision;
  /** The filing of the run, not yet written: it commits with that decision (engine.submit). */
  readonly filing?: RunWrite;
  /** The instance a recovery took the run over from (null: nobody had claimed it). */
  readonly takenFrom?: string | null;
}

/** Where applying stopped; `pending` is the last effect, recorded with the run's next transition. */
interface Applied {
  readonly steps: StoredStep[];
  readonly pause?: Pause;
  readonly pending?: StepOutcome;
  /** The step whose start this call journalled with the start of execution. */
  readonly started?: string;
}

export async function executeRun(
  deps: ExecuteDeps,
  run: Run,
  options: ExecuteOptions = {},
): Promise<Executed> {
  const { decided } = options;
  const interrupted = options.interrupted === true || run.state === 'executing' || run.state === 'verifying';
  let steps =
    decided === undefined
      ? await loadSteps(deps.ledger.store.read, deps.inventory, run.id)
      : await plannedSteps(deps.inventory, run.id, decided.steps);
  const authority = new RunAuthority(
    deps,
    decided?.next ?? run,
    steps.map((s) => s.step),
  );
  if (interrupted) await recordRecovery(deps, run, authority, options.takenFrom ?? null);
  let applied: Applied = { steps };
  if (decided !== undefined || run.state === 'approved' || run.state === 'paused') {
    let start: Applied;
    ({ run, ...start } = await startExecution(deps, run, steps, authority, decided, options.filing));
    applied = start;
    steps = start.steps;
  }
  const held = new Map<string, IssuedSecret>();
  if (run.state === 'executing') {
    if (applied.pause === undefined)
      applied = await applySteps(deps, run, applied, authority, held, interrupted);
    steps = applied.steps;
    const { pause, pending } = applied;
    if (pause !== undefined) {
      run = await conclude(deps, run, [{ event: 'failed', pause }], steps, pending);
    } else {
      // Verification only reads the target: `applied` commits with its outcome, one transaction.
      const verdict = await verdictOf(deps, run, steps, authority, held, interrupted);
      run = await conclude(deps, run, [{ event: 'applied' }, verdict], steps, pending);
      if (verdict.event === 'verified') deps.crashPoint?.('verified:after');
    }
  }
  if (run.state === 'verifying') {
    // A run found between `applied` and its verdict (recorded before they committed together).
    run = await conclude(deps, run, [await verdictOf(deps, run, steps, authority, held, interrupted)], steps);
    if (run.state === 'completed') deps.crashPoint?.('verified:after');
  }
  const secrets = steps.flatMap(({ step }) => {
    const secret = held.get(step.stepId);
    return secret === undefined
      ? []
      : [{ ...secret, stepId: step.stepId, system: step.system.id, identity: step.identity.id }];
  });
  return { run, secrets: interrupted ? [] : secrets };
}

/**
 * approved (or a run decided automatically, or paused) -> executing, in one transaction with the
 * decision and with the first step's journal when that step is still to be started: its prior state
 * is read first, so that the transaction records it. A prior that cannot be read pauses the run
 * once execution has started, as any failure of a step.
 */
async function startExecution(
  deps: ExecuteDeps,
  run: Run,
  steps: StoredStep[],
  authority: RunAuthority,
  decided: PlannedDecision | undefined,
  filing: RunWrite | undefined,
): Promise<{ run: Run } & Applied> {
  const event = run.state === 'paused' ? 'resume' : 'execution_started';
  const claims = await authority.claims();
  deps.crashPoint?.('execution_started:before');
  const first = steps.findIndex((s) => s.status === 'planned' || s.status === 'applying');
  const next = steps[first];
  let prior: PriorState | undefined;
  let pause: Pause | undefined;
  if (next?.status === 'planned') {
    try {
      prior = await readPrior(deps, next, authority);
    } catch (e) {
      if (isConcurrent(e)) throw e;
      pause = failureOf(e, next.step.stepId);
    }
  }
  const approved = decided?.next ?? run;
  const started = await deps.runs.write({
    run,
    at: deps.now(),
    ...(filing?.insert === undefined ? {} : { insert: filing.insert }),
    ...(decided === undefined ? {} : { steps: decided.steps }),
    changes: [
      ...(filing?.changes ?? []),
      ...(decided === undefined
        ? []
        : [
            {
              transition: decided.event,
              actor: SYSTEM_ACTOR,
              payload: decided.payload,
              update: decided.update,
            },
          ]),
      {
        transition: event,
        actor: executorOf(approved),
        payload: { authority: claims },
        // This process executes it from now: peers leave it alone while this process lives.
        update: { claimedBy: await deps.instance.claim() },
      },
      ...(prior === undefined
        ? []
        : [{ move: (r: Run) => startedMove(r, next!.step, prior, authority.jti) }]),
    ],
  });
  if (prior === undefined) return { run: started, steps, ...(pause === undefined ? {} : { pause }) };
  deps.crashPoint?.('step_started:after');
  const out = [...steps];
  out[first] = { ...next!, status: 'applying', prior };
  return { run: started, steps: out, started: next!.step.stepId };
}

async function applySteps(
  deps: ExecuteDeps,
  run: Run,
  from: Applied,
  authority: RunAuthority,
  held: Map<string, IssuedSecret>,
  interrupted: boolean,
): Promise<Applied> {
  const out = [...from.steps];
  let pending: StepOutcome | undefined;
  const stop = (pause: Pause): Applied => ({
    steps: out,
    pause,
    ...(pending === undefined ? {} : { pending }),
  });
  for (const [i, current] of out.entries()) {
    let stored = current;
    const id = stored.step.stepId;
    try {
      if (stored.status === 'planned' || stored.status === 'applying') {
        // The effect before this one is recorded before this one starts.
        if (pending !== undefined) await journalPending(deps, run, pending);
        pending = undefined;
        const outcome = await applyStep(deps, run, stored, authority, id === from.started);
        pending = outcome;
        if (outcome.secret !== undefined) held.set(id, outcome.secret);
        stored = out[i] = { ...stored, status: 'applied', result: outcome.result };
      }
      if (undelivered(stored, run, held, interrupted)) return stop(undeliveredPause(id));
      if (stored.status !== 'applied') {
        throw new CustosError('TARGET_STATE_MISMATCH', `step ${id} is ${stored.status}, not applied`);
      }
    } catch (e) {
      if (isConcurrent(e)) throw e;
      return stop(failureOf(e, id));
    }
  }
  return { steps: out, ...(pending === undefined ? {} : { pending }) };
}

async function journalPending(deps: ExecuteDeps, run: Run, pending: StepOutcome): Promise<void> {
  await deps.ledger.transact((tx) =>
    journalApplied(tx, run, pending.step, pending.result, pending.recovered),
  );
  deps.crashPoint?.('step_applied:after');
}

/** How verification ended: `verified`, or `failed` with the pause. */
async function verdictOf(
  deps: ExecuteDeps,
  run: Run,
  steps: readonly StoredStep[],
  authority: RunAuthority,
  held: ReadonlyMap<string, IssuedSecret>,
  interrupted: boolean,
): Promise<Ending> {
  const lost = steps.find((s) => undelivered(s, run, held, interrupted));
  const { checks, pause } =
    lost === undefined
      ? await verifySteps(deps, steps, authority, held)
      : { checks: [], pause: undeliveredPause(lost.step.stepId) };
  return pause === undefined
    ? { event: 'verified', payload: { checks } }
    : { event: 'failed', pause, payload: { checks } };
}

/** A transition that ends a phase, with its pause when it is one. */
interface Ending {
  readonly event: 'applied' | 'verified' | 'failed';
  readonly pause?: Pause;
  readonly payload?: Record<string, JsonValue>;
}

/**
 * The transitions that end a phase, with what must commit alongside them: the last step's
 * `step_applied` (before them), the alert of a pause, and what a verified run changes.
 */
async function conclude(
  deps: ExecuteDeps,
  run: Run,
  endings: readonly Ending[],
  steps: readonly StoredStep[],
  pending?: StepOutcome,
): Promise<Run> {
  const pause = endings.find((e) => e.pause !== undefined)?.pause;
  const reason = pause?.reason ?? null;
  return deps.runs.write({
    run,
    at: deps.now(),
    changes: [
      ...(pending === undefined
        ? []
        : [{ move: (r: Run) => appliedMove(r, pending.step, pending.result, pending.recovered) }]),
      ...endings.map((e) => ({
        transition: e.event,
        actor: executorOf(run),
        payload: { ...e.payload, ...e.pause, ...outcomesOf(e.pause, steps) },
        update: { reason: e.pause?.reason ?? null },
      })),
    ],
    after: async (tx, next) => {
      if (next.state === 'paused') await alertPaused(tx, deps, run, reason);
      if (pause?.undelivered !== undefined)
        await setStatus(tx, run.id, [pause.undelivered], ['applied'], 'undelivered');
      if (endings.some((e) => e.event === 'verified') && deps.onVerified !== undefined)
        await deps.onVerified(tx, next, doneStepsOf(steps));
    },
  });
}

/** A pause says where each system stands: with several, some may be changed and others not. */
function outcomesOf(pause: Pause | undefined, steps: readonly StoredStep[]): Record<string, JsonValue> {
  if (pause === undefined) return {};
  return {
    outcomes: steps.map((s) => ({
      step: s.step.stepId,
      system: s.step.system.id,
      identity: s.step.identity.id,
      status: s.status,
    })),
  };
}
