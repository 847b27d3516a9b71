import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCustosError, type ErrorCode } from '../core/errors.js';
import {
  checkApprovalAllowed,
  evaluateApprovals,
  type ApprovalContext,
  type RouteShape,
  type Vote,
} from './index.js';

const route = (requirements: { group: string; count: number }[], ordered = false): RouteShape => ({
  mode: 'approvals',
  requirements,
  ordered,
});
const base = { requester: 'person:alice', executor: 'executor:postgres-service-accounts' };
let clock = 0;
const vote = (principal: string, groups: string[], decision: Vote['decision'] = 'approve'): Vote => ({
  principal,
  groups,
  decision,
  at: new Date(Date.UTC(2025, 0, 1) + ++clock * 1000).toISOString(),
});
const check = (ctx: ApprovalContext, v: Vote, rationale = 'ok', tier: 'low' | 'high' = 'low') =>
  checkApprovalAllowed(ctx, { ...v, rationale }, tier);
function expectCode(f: () => unknown, code: ErrorCode, reason: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isCustosError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (isCustosError(err)) expect(err.details['reason']).toBe(reason);
}

describe('separation of duties', () => {
  const dbaAndSec = route([
    { group: 'group:dba', count: 1 },
    { group: 'group:security', count: 1 },
  ]);

  it('never lets the requester, the executor or a service approve, nor anyone twice', () => {
    const ctx = { ...base, route: dbaAndSec, approvals: [vote('person:bob', ['group:dba'])] };
    expectCode(() => check(ctx, vote('person:alice', ['group:dba'])), 'SOD_VIOLATION', 'requester');
    expectCode(() => check(ctx, vote(base.executor, ['group:security'])), 'SOD_VIOLATION', 'executor');
    expectCode(() => check(ctx, vote('service:ci', ['group:security'])), 'SOD_VIOLATION', 'not_person');
    expectCode(
      () => check(ctx, vote('person:bob', ['group:dba', 'group:security'])),
      'SOD_VIOLATION',
      'duplicate',
    );
    const evaluation = evaluateApprovals({
      ...ctx,
      approvals: [
        ...ctx.approvals,
        vote('person:alice', ['group:security']),
        vote('person:bob', ['group:security']),
      ],
    });
    expect(evaluation.satisfied).toBe(false);
    expect(evaluation.ignored.map((i) => i.reason)).toEqual(['requester', 'duplicate']);
  });

  it('never lets one person satisfy two required approvals', () => {
    const both = vote('person:carol', ['group:dba', 'group:security']);
    const ctx = { ...base, route: dbaAndSec, approvals: [both] };
    const evaluation = evaluateApprovals(ctx);
    expect(evaluation.satisfied).toBe(false);
    expect(evaluation.assignment).toHaveLength(1);
    expect(evaluation.pending).toHaveLength(1);
  });

  it('reassigns optimally, so arrival order never blocks a satisfiable route', () => {
    const both = vote('person:carol', ['group:dba', 'group:security']);
    const dbaOnly = vote('person:dave', ['group:dba']);
    const ctx = { ...base, route: dbaAndSec, approvals: [both] };
    check(ctx, dbaOnly);
    const evaluation = evaluateApprovals({ ...ctx, approvals: [both, dbaOnly] });
    expect(evaluation.satisfied).toBe(true);
    expect(evaluation.assignment).toEqual([
      { principal: 'person:dave', requirement: 0, group: 'group:dba' },
      { principal: 'person:carol', requirement: 1, group: 'group:security' },
    ]);
  });

  it('matches N of one group plus M of another with overlapping members', () => {
    const r = route([
      { group: 'group:dba', count: 2 },
      { group: 'group:security', count: 1 },
    ]);
    const x = vote('person:x', ['group:dba', 'group:security']);
    const y = vote('person:y', ['group:dba', 'group:security']);
    const z = vote('person:z', ['group:dba']);
    const w = vote('person:w', ['group:dba']);
    expect(evaluateApprovals({ ...base, route: r, approvals: [x, y, z] }).satisfied).toBe(true);
    // Three dba-only people can never fill the security slot: the third is not needed.
    const ctx = { ...base, route: r, approvals: [z, w] };
    expectCode(() => check(ctx, vote('person:v', ['group:dba'])), 'APPROVAL_NOT_ELIGIBLE', 'group');
    check(ctx, x);
    expect(evaluateApprovals({ ...base, route: r, approvals: [z, w, x] }).pending).toEqual([]);
  });

  it('refuses people outside every still-needed group and votes on a closed route', () => {
    const ctx = { ...base, route: dbaAndSec, approvals: [] };
    expectCode(() => check(ctx, vote('person:erin', ['group:finance'])), 'APPROVAL_NOT_ELIGIBLE', 'group');
    const done = {
      ...ctx,
      approvals: [vote('person:d', ['group:dba']), vote('person:s', ['group:security'])],
    };
    expect(evaluateApprovals(done).satisfied).toBe(true);
    expectCode(() => check(done, vote('person:t', ['group:security'])), 'APPROVAL_NOT_ELIGIBLE', 'closed');
    const auto = { ...ctx, route: { mode: 'auto' as const, requirements: [], ordered: false } };
    expect(evaluateApprovals(auto).satisfied).toBe(true);
    expectCode(() => check(auto, vote('person:t', [])), 'APPROVAL_NOT_ELIGIBLE', 'closed');
  });

  it('fills ordered routes one step at a time', () => {
    const r = route(
      [
        { group: 'group:dba', count: 1 },
        { group: 'group:security', count: 1 },
      ],
      true,
    );
    const ctx = { ...base, route: r, approvals: [] };
    expectCode(() => check(ctx, vote('person:s', ['group:security'])), 'APPROVAL_NOT_ELIGIBLE', 'order');
    const both = vote('person:carol', ['group:dba', 'group:security']);
    check(ctx, both);
    const after = { ...ctx, approvals: [both] };
    expectCode(() => check(after, vote('person:d', ['group:dba'])), 'APPROVAL_NOT_ELIGIBLE', 'group');
    const sec = vote('person:s', ['group:security']);
    check(after, sec);
    const evaluation = evaluateApprovals({ ...ctx, approvals: [both, sec] });
    expect(evaluation.satisfied).toBe(true);
    expect(evaluation.assignment.map((a) => [a.principal, a.requirement])).toEqual([
      ['person:carol', 0],
      ['person:s', 1],
    ]);
    // A later-step approval that arrived early does not count once the step opens.
    const early = evaluateApprovals({
      ...ctx,
      approvals: [vote('person:s2', ['group:security']), vote('person:d', ['group:dba'])],
    });
    expect(early.pending).toEqual([{ group: 'group:security', count: 1 }]);
  });

  it('lets any member of a route group deny, and requires rationales', () => {
    const ctx = { ...base, route: dbaAndSec, approvals: [vote('person:d', ['group:dba'])] };
    expectCode(() => check(ctx, vote('person:e', ['group:dba'], 'deny'), '  '), 'INPUT_INVALID', 'rationale');
    expectCode(
      () => check(ctx, vote('person:s', ['group:security']), '', 'high'),
      'INPUT_INVALID',
      'rationale',
    );
    check(ctx, vote('person:s', ['group:security']), '', 'low');
    expectCode(
      () => check(ctx, vote('person:f', ['group:finance'], 'deny'), 'no'),
      'APPROVAL_NOT_ELIGIBLE',
      'group',
    );
    const denial = vote('person:e', ['group:dba'], 'deny');
    check(ctx, denial, 'too broad');
    const evaluation = evaluateApprovals({
      ...ctx,
      approvals: [...ctx.approvals, denial, vote('person:s', ['group:security'])],
    });
    expect(evaluation).toMatchObject({ denied: true, satisfied: false });
    expect(evaluation.ignored).toEqual([{ principal: 'person:s', reason: 'closed' }]);
  });
});

/** Naive reference: the largest number of slots distinct eligible people can fill (brute force). */
function bestFill(slots: string[], people: string[][]): number {
  const go = (i: number, used: Set<number>): number => {
    if (i === slots.length) return 0;
    let best = go(i + 1, used);
    people.forEach((groups, p) => {
      if (!used.has(p) && groups.includes(slots[i]!))
        best = Math.max(best, 1 + go(i + 1, new Set([...used, p])));
    });
    return best;
  };
  return go(0, new Set());
}

describe('evaluateApprovals (property)', () => {
  const groups = ['group:a', 'group:b', 'group:c'];
  const people = ['person:alice', 'person:p1', 'person:p2', 'person:p3', 'person:p4', 'executor:x'];
  const arbitrary = fc.record({
    requirements: fc.array(
      fc.record({ group: fc.constantFrom(...groups), count: fc.integer({ min: 0, max: 2 }) }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    // One vote per person here: duplicates are covered above, and a refused vote does not use up a
    // person's vote (they may join a group and vote later), which the reference below ignores.
    votes: fc.uniqueArray(
      fc.record({ principal: fc.constantFrom(...people), groups: fc.subarray(groups), minute: fc.nat(50) }),
      { maxLength: 6, selector: (v) => v.principal },
    ),
  });

  it('never counts one person twice, the requester or the executor, and is optimal', () => {
    fc.assert(
      fc.property(arbitrary, ({ requirements, votes }) => {
        const approvals = votes.map((v) => ({
          principal: v.principal,
          groups: v.groups,
          decision: 'approve' as const,
          at: new Date(Date.UTC(2025, 0, 1, 0, v.minute)).toISOString(),
        }));
        const e = evaluateApprovals({
          requester: 'person:alice',
          executor: 'executor:x',
          route: route(requirements),
          approvals,
        });
        const counted = e.assignment.map((a) => a.principal);
        expect(new Set(counted).size).toBe(counted.length);
        expect(counted).not.toContain('person:alice');
        expect(counted).not.toContain('executor:x');
        for (const a of e.assignment) expect(requirements[a.requirement]!.group).toBe(a.group);
        // Optimal: as many slots as any assignment of distinct eligible people could fill.
        const eligible = approvals.filter((v) => v.principal.startsWith('person:p')).map((v) => v.groups);
        const slots = requirements.flatMap((r) => Array.from({ length: r.count }, () => r.group));
        expect(e.assignment.length).toBe(bestFill(slots, eligible));
        expect(e.satisfied).toBe(e.assignment.length === slots.length);
      }),
      { numRuns: 500 },
    );
  });
});
