/**
 * Execution and verification of an approved run, with a delegated authority minted for this run
 * alone. Every move is durable before the next begins, so a run killed at any point continues from
 * its last record: applied steps are never applied again, a step whose outcome is unknown is settled
 * against the target first (step-runner.ts), and every connector call is bounded by the step
 * timeout. A connector error, a timeout, a failed verification or a credential that could not be
 * delivered pauses the run — never success.
 *
 * Secrets are held in memory only and handed to the caller once, when this call returns. A call
 * that continues an interrupted attempt (`interrupted`: a restart, or a run found mid-flight) has no
 * one to hand them to; nor can an effect that is `already_applied` return its secret. Such a
 * credential is undelivered: the run pauses for a person to roll back or abort it (fail closed).
 */
import type { JsonValue } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import type { IssuedSecret } from '../connectors/contract.js';
import type { Run } from './run-model.js';
import { readRun, transition } from './run-store.js';
import {
  RunAuthority,
  alertPaused,
  bounded,
  executorOf,
  failureOf,
  isConcurrent,
  type ExecuteDeps,
  type Failure,
} from './execute-context.js';
import { loadSteps, setStatus, type StoredStep } from './run-steps.js';
import { connectorFor, runStep } from './step-runner.js';

export { rollbackRun } from './run-rollback.js';
export type { ExecuteDeps, ExecuteHooks } from './execute-context.js';

export interface Executed {
  readonly run: Run;
  /** Secrets issued by this call's steps: for the requester, once; never recorded. */
  readonly secrets: readonly IssuedSecret[];
}

export interface ExecuteOptions {
  /** Continue an attempt a crash interrupted: its secrets are lost, and so are any issued now. */
  readonly interrupted?: boolean;
}

interface Pause extends Failure {
  /** The step whose credential was never delivered. */
  readonly undelivered?: string;
}

export async function executeRun(
  deps: ExecuteDeps,
  run: Run,
  options: ExecuteOptions = {},
): Promise<Executed> {
  const read = deps.ledger.store.read;
  const interrupted = options.interrupted === true || run.state === 'executing' || run.state === 'verifying';
  let steps = await loadSteps(read, deps.inventory, run.id);
  const authority = new RunAuthority(
    deps,
    run,
    steps.map((s) => s.step),
  );
  if (interrupted) await recordRecovery(deps, run, authority);
  if (run.state === 'approved' || run.state === 'paused') {
    const event = run.state === 'approved' ? 'execution_started' : 'resume';
    const claims = await authority.claims();
    deps.crashPoint?.('execution_started:before');
    await deps.ledger.transact((tx) =>
      transition(tx, run, event, executorOf(run), { authority: claims }, {}, deps.now()),
    );
    deps.crashPoint?.('execution_started:after');
    run = await readRun(read, run.id);
  }
  const held = new Map<string, IssuedSecret>();
  if (run.state === 'executing') {
    const pause = await applySteps(deps, run, steps, authority, held, interrupted);
    await conclude(deps, run, pause === undefined ? 'applied' : 'failed', pause, {});
    if (pause === undefined) deps.crashPoint?.('applied:after');
    run = await readRun(read, run.id);
  }
  if (run.state === 'verifying') {
    steps = await loadSteps(read, deps.inventory, run.id);
    const lost = steps.find((s) => undelivered(s, run, held, interrupted));
    const { checks, pause } =
      lost === undefined
        ? await verifySteps(deps, steps, authority, held)
        : { checks: [], pause: undeliveredPause(lost.step.stepId) };
    await conclude(deps, run, pause === undefined ? 'verified' : 'failed', pause, { checks });
    if (pause === undefined) deps.crashPoint?.('verified:after');
    run = await readRun(read, run.id);
  }
  return { run, secrets: interrupted ? [] : [...held.values()] };
}

async function applySteps(
  deps: ExecuteDeps,
  run: Run,
  steps: readonly StoredStep[],
  authority: RunAuthority,
  held: Map<string, IssuedSecret>,
  interrupted: boolean,
): Promise<Pause | undefined> {
  for (let stored of steps) {
    const id = stored.step.stepId;
    try {
      if (stored.status === 'planned' || stored.status === 'applying') {
        const outcome = await runStep(deps, run, stored, authority);
        if (outcome.secret !== undefined) held.set(id, outcome.secret);
        stored = { ...stored, status: 'applied', result: outcome.result };
      }
      if (undelivered(stored, run, held, interrupted)) return undeliveredPause(id);
      if (stored.status !== 'applied') {
        throw new CustosError('TARGET_STATE_MISMATCH', `step ${id} is ${stored.status}, not applied`);
      }
    } catch (e) {
      if (isConcurrent(e)) throw e;
      return failureOf(e, id);
    }
  }
  return undefined;
}

async function verifySteps(
  deps: ExecuteDeps,
  steps: readonly StoredStep[],
  authority: RunAuthority,
  held: ReadonlyMap<string, IssuedSecret>,
): Promise<{ checks: JsonValue[]; pause: Pause | undefined }> {
  const checks: JsonValue[] = [];
  let pause: Pause | undefined;
  for (const stored of steps) {
    const { step } = stored;
    try {
      const connector = connectorFor(deps, stored);
      const secret = held.get(step.stepId)?.value;
      const result = await bounded(
        deps,
        'verifying',
        step,
        connector.verify(step, await authority.token(), secret),
      );
      deps.crashPoint?.('verify:after');
      checks.push({ step: step.stepId, ok: result.ok, checks: result.checks.map((c) => ({ ...c })) });
      if (!result.ok)
        pause ??= { reason: `verification failed on ${step.system.id}`, retryable: false, step: step.stepId };
    } catch (e) {
      if (isConcurrent(e)) throw e;
      pause ??= failureOf(e, step.stepId);
    }
  }
  return { checks, pause };
}

/** The transition that ends a phase, with what must commit alongside it. */
async function conclude(
  deps: ExecuteDeps,
  run: Run,
  event: 'applied' | 'verified' | 'failed',
  pause: Pause | undefined,
  payload: Record<string, JsonValue>,
): Promise<void> {
  await deps.ledger.transact(async (tx) => {
    const fields = pause === undefined ? {} : { ...pause };
    const reason = pause?.reason ?? null;
    const to = await transition(
      tx,
      run,
      event,
      executorOf(run),
      { ...payload, ...fields },
      { reason },
      deps.now(),
    );
    if (to === 'paused') await alertPaused(tx, deps, run, reason);
    if (pause?.undelivered !== undefined)
      await setStatus(tx, run.id, [pause.undelivered], ['applied'], 'undelivered');
    if (event === 'verified' && deps.onVerified !== undefined)
      await deps.onVerified(tx, { ...run, state: to, reason });
  });
}

/**
 * Whether a step's credential can no longer reach the requester: it was issued in this attempt
 * and this call does not hold it to hand over (or, continuing an interrupted attempt, has no one
 * to hand it to). Credentials issued in earlier attempts were handed over when those returned.
 */
function undelivered(
  stored: StoredStep,
  run: Run,
  held: ReadonlyMap<string, IssuedSecret>,
  interrupted: boolean,
): boolean {
  if (stored.status === 'undelivered') return true;
  const r = stored.result;
  if (stored.status !== 'applied' || r === null || !r.issuedSecret || r.attempt !== run.attempts)
    return false;
  return interrupted || !held.has(stored.step.stepId);
}

function undeliveredPause(step: string): Pause {
  return {
    reason:
      `the credential issued by step ${step} was never delivered (the attempt that issued it was interrupted): ` +
      'roll back or abort this run, then request again',
    retryable: false,
    step,
    undelivered: step,
  };
}

/** A run continued after an interruption says so, with the authority of the continuing attempt. */
async function recordRecovery(deps: ExecuteDeps, run: Run, authority: RunAuthority): Promise<void> {
  await deps.ledger.append({
    type: 'run.recovered',
    correlationId: run.id,
    actor: executorOf(run),
    subject: { kind: 'run', id: run.id },
    ...(run.bundleHash === null ? {} : { bundleHash: run.bundleHash }),
    payload: { state: run.state, attempt: run.attempts, authority: await authority.claims() },
  });
}
