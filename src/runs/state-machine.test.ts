import { describe, expect, it } from 'vitest';
import { RUN_EVENTS, RUN_STATES, TERMINAL_STATES, executionStarted, nextState } from './state-machine.js';

describe('run state machine', () => {
  it('walks the happy paths', () => {
    let s = nextState('requested', 'decided_approvals');
    s = nextState(s, 'approved');
    s = nextState(s, 'execution_started');
    s = nextState(s, 'applied');
    expect(nextState(s, 'verified')).toBe('completed');
    expect(nextState('requested', 'decided_auto')).toBe('approved');
  });

  it('pauses on failure and resumes, rolls back or aborts', () => {
    expect(nextState('executing', 'failed')).toBe('paused');
    expect(nextState('verifying', 'failed')).toBe('paused');
    expect(nextState('paused', 'resume')).toBe('executing');
    expect(nextState(nextState('paused', 'rollback'), 'rolled_back')).toBe('rolled_back');
    expect(nextState('paused', 'abort')).toBe('aborted');
  });

  it('terminal states take no event, and an unknown move is a coded error', () => {
    for (const state of TERMINAL_STATES) {
      for (const event of RUN_EVENTS)
        expect(() => nextState(state, event)).toThrow(
          expect.objectContaining({ code: 'RUN_TRANSITION_INVALID' }),
        );
    }
    expect(() => nextState('completed', 'failed')).toThrow(
      expect.objectContaining({ code: 'RUN_TRANSITION_INVALID' }),
    );
    expect(() => nextState('awaiting_approval', 'execution_started')).toThrow(
      expect.objectContaining({ code: 'RUN_TRANSITION_INVALID' }),
    );
  });

  it('every non-terminal state has a way forward', () => {
    for (const state of RUN_STATES) {
      if (TERMINAL_STATES.has(state)) continue;
      expect(
        RUN_EVENTS.some((e) => {
          try {
            nextState(state, e);
            return true;
          } catch {
            return false;
          }
        }),
      ).toBe(true);
    }
    expect(executionStarted('awaiting_approval')).toBe(false);
    expect(executionStarted('paused')).toBe(true);
  });
});
