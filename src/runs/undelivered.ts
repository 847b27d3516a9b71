/**
 * Credentials that cannot reach the requester any more: issued by an attempt that was interrupted
 * (its secret lived only in the memory of the process that died) or repeated as `already_applied`
 * (which cannot return the secret). Such a run pauses for a person to roll back or abort it.
 */
import type { IssuedSecret } from '../connectors/contract.js';
import type { Failure } from './execute-context.js';
import type { Run } from './run-model.js';
import type { StoredStep } from './run-steps.js';

export interface Pause extends Failure {
  /** The step whose credential was never delivered. */
  readonly undelivered?: string;
}

/**
 * Whether a step's credential can no longer reach the requester: it was issued in this attempt
 * and this call does not hold it to hand over (or, continuing an interrupted attempt, has no one
 * to hand it to). Credentials issued in earlier attempts were handed over when those returned.
 */
export function undelivered(
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

export function undeliveredPause(step: string): Pause {
  return {
    reason:
      `the credential issued by step ${step} was never delivered (the attempt that issued it was interrupted): ` +
      'roll back or abort this run, then request again',
    retryable: false,
    step,
    undelivered: step,
  };
}
