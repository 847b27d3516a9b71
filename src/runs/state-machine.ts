/**
 * The run state machine as a transition table (pure). Every transition the engine makes is
 * checked here and written as a ledger record in the same transaction as the state change.
 *
 *   requested ──gate_failed──► unreconciled ──resume──► requested
 *   requested ──decided_deny──► denied
 *   requested ──decided_auto──► approved
 *   requested ──decided_approvals──► awaiting_approval ──approved──► approved
 *                                    awaiting_approval ──rejected──► rejected
 *                                    awaiting_approval ──expired──► expired
 *   approved ──execution_started──► executing ──applied──► verifying ──verified──► completed
 *   executing | verifying ──failed──► paused ──resume──► executing
 *   paused ──rollback──► rolling_back ──rolled_back──► rolled_back
 *   paused | awaiting_approval | unreconciled ──abort──► aborted
 */
import { CustosError } from '../core/errors.js';

export const RUN_STATES = [
  'requested',
  'unreconciled',
  'denied',
  'awaiting_approval',
  'rejected',
  'expired',
  'approved',
  'executing',
  'verifying',
  'completed',
  'paused',
  'rolling_back',
  'rolled_back',
  'aborted',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const RUN_EVENTS = [
  'gate_failed',
  'decided_deny',
  'decided_auto',
  'decided_approvals',
  'approved',
  'rejected',
  'expired',
  'execution_started',
  'applied',
  'verified',
  'failed',
  'resume',
  'rollback',
  'rolled_back',
  'abort',
] as const;
export type RunEvent = (typeof RUN_EVENTS)[number];

const TABLE: Readonly<Partial<Record<RunState, Readonly<Partial<Record<RunEvent, RunState>>>>>> = {
  requested: {
    gate_failed: 'unreconciled',
    decided_deny: 'denied',
    decided_auto: 'approved',
    decided_approvals: 'awaiting_approval',
  },
  unreconciled: { resume: 'requested', abort: 'aborted' },
  awaiting_approval: { approved: 'approved', rejected: 'rejected', expired: 'expired', abort: 'aborted' },
  approved: { execution_started: 'executing' },
  executing: { applied: 'verifying', failed: 'paused' },
  verifying: { verified: 'completed', failed: 'paused' },
  paused: { resume: 'executing', rollback: 'rolling_back', abort: 'aborted' },
  rolling_back: { rolled_back: 'rolled_back', failed: 'paused' },
};

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set([
  'denied',
  'rejected',
  'expired',
  'completed',
  'rolled_back',
  'aborted',
]);

/** The state after `event`, or RUN_TRANSITION_INVALID. */
export function nextState(state: RunState, event: RunEvent): RunState {
  const next = TABLE[state]?.[event];
  if (next === undefined) {
    throw new CustosError('RUN_TRANSITION_INVALID', `a ${state} run cannot take ${event}`, {
      details: { state, event },
    });
  }
  return next;
}

/** Whether execution has started: from then on, a denial is refused rather than applied. */
export function executionStarted(state: RunState): boolean {
  return ['executing', 'verifying', 'completed', 'paused', 'rolling_back', 'rolled_back'].includes(state);
}
