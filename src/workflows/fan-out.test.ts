import { describe, expect, it } from 'vitest';
import { isCustosError } from '../core/errors.js';
import type { Decision, DecisionRoute } from '../policy/index.js';
import { checkFanOut, combineDecisions, type FanOutPart } from './fan-out.js';

const route = (name: string, groups: string[]): DecisionRoute => ({
  name,
  mode: groups.length === 0 ? 'auto' : 'approvals',
  requirements: groups.map((group) => ({ group, count: 1 })),
  ordered: false,
  expiresAfter: undefined,
  remindAfter: undefined,
  escalateAfter: undefined,
});

const allowed = (tier: Decision['riskTier'], r: DecisionRoute, policy: string, workflow = 'w'): Decision => ({
  allowed: true,
  reasons: [policy],
  riskTier: tier,
  route: r,
  determiningPolicies: [policy],
  workflow,
  bundleHash: 'h',
});

const denied = (reason: string): Decision => ({
  allowed: false,
  reasons: [reason],
  riskTier: undefined,
  route: undefined,
  determiningPolicies: [reason],
  workflow: 'w',
  bundleHash: 'h',
});

const part = (identity: string, decision: Decision): FanOutPart => ({ identity, decision });

describe('combineDecisions', () => {
  it('takes the route of the highest-risk part, wherever it is named', () => {
    const high = route('high', ['group:dba', 'group:security']);
    for (const parts of [
      [part('a', allowed('low', route('low', []), 'p-low')), part('b', allowed('high', high, 'p-high'))],
      [part('b', allowed('high', high, 'p-high')), part('a', allowed('low', route('low', []), 'p-low'))],
    ]) {
      const d = combineDecisions(parts, 'h');
      expect(d).toMatchObject({ allowed: true, riskTier: 'high', route: high, workflow: 'w' });
      expect(d.determiningPolicies).toEqual(['p-high', 'p-low']);
    }
  });

  it('denies the whole request when any part is denied, naming the part', () => {
    const d = combineDecisions(
      [part('a', allowed('low', route('low', []), 'p-low')), part('b', denied('forbid-b'))],
      'h',
    );
    expect(d).toMatchObject({ allowed: false, reasons: ['b: forbid-b'], route: undefined });
    expect(d.determiningPolicies).toEqual(['forbid-b']);
  });

  it('denies parts governed by different workflows', () => {
    const d = combineDecisions(
      [
        part('a', allowed('low', route('low', []), 'p1', 'w1')),
        part('b', allowed('low', route('low', []), 'p2', 'w2')),
      ],
      'h',
    );
    expect(d.allowed).toBe(false);
    expect(d.reasons[0]).toMatch(/a by w1, b by w2/);
  });
});

describe('checkFanOut', () => {
  const code = (f: () => void) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return isCustosError(e, 'INPUT_INVALID') ? 'INPUT_INVALID' : String(e);
    }
  };
  it('admits 2..16 distinct identities for rotate, suspend and retire only', () => {
    expect(code(() => checkFanOut('rotate', ['a', 'b']))).toBe('ok');
    expect(
      code(() =>
        checkFanOut(
          'retire',
          Array.from({ length: 16 }, (_, i) => `i${i}`),
        ),
      ),
    ).toBe('ok');
    expect(code(() => checkFanOut('grant', ['a', 'b']))).toBe('INPUT_INVALID');
    expect(code(() => checkFanOut('create', ['a', 'b']))).toBe('INPUT_INVALID');
    expect(code(() => checkFanOut('rotate', ['a']))).toBe('INPUT_INVALID');
    expect(code(() => checkFanOut('rotate', ['a', 'a']))).toBe('INPUT_INVALID');
    expect(
      code(() =>
        checkFanOut(
          'suspend',
          Array.from({ length: 17 }, (_, i) => `i${i}`),
        ),
      ),
    ).toBe('INPUT_INVALID');
  });
});
