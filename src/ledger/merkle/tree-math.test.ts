import { describe, expect, it } from 'vitest';
import { CustosError } from '../../core/errors.js';
import { EMPTY_ROOT, leafHash } from './hasher.js';
import { highestPowerOfTwoAtMost, nodeId, nodeKey, nodeRange, perfectNodeOf, splitPoint } from './node-id.js';
import type { NodeId } from './node-id.js';
import { planConsistency, planInclusion, rootPlan } from './proof-plan.js';
import { consistencyRanges, decompose, inclusionRanges } from './tree-math.js';

const P53 = 2 ** 53;
const BAD_NUMBERS = [-1, 1.5, NaN, Infinity, P53, 2 ** 64];

function code(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof CustosError) return error.code;
    throw error;
  }
}

const ids = (list: readonly NodeId[]): string[] => list.map(nodeKey);

describe('node ids', () => {
  it('powers of two are exact across the whole safe range', () => {
    for (let level = 0; level <= 52; level++) {
      const p = 2 ** level;
      expect(highestPowerOfTwoAtMost(p)).toBe(p);
      expect(highestPowerOfTwoAtMost(2 * p - 1)).toBe(p);
      if (p > 2) expect(highestPowerOfTwoAtMost(p - 1)).toBe(p / 2);
      if (p >= 2) expect(splitPoint(p + 1)).toBe(p);
      if (p >= 2) expect(splitPoint(p)).toBe(p / 2);
    }
    expect(highestPowerOfTwoAtMost(P53 - 1)).toBe(2 ** 52);
  });

  it('nodeId, nodeRange and perfectNodeOf', () => {
    expect(nodeRange(nodeId(3, 5))).toEqual({ begin: 40, end: 48 });
    expect(nodeRange(nodeId(52, 0))).toEqual({ begin: 0, end: 2 ** 52 });
    expect(nodeRange(nodeId(0, P53 - 2))).toEqual({ begin: P53 - 2, end: P53 - 1 });
    expect(perfectNodeOf(40, 48)).toEqual({ level: 3, index: 5 });
    expect(perfectNodeOf(2 ** 52, P53)).toEqual({ level: 52, index: 1 });
    expect(perfectNodeOf(4, 12)).toBeUndefined(); // width 8, not aligned
    expect(perfectNodeOf(0, 6)).toBeUndefined();
    expect(perfectNodeOf(3, 3)).toBeUndefined();
    expect(() => nodeId(-1, 0)).toThrow(TypeError);
    expect(() => nodeId(0, 1.5)).toThrow(TypeError);
    expect(() => nodeId(53, 1)).toThrow(TypeError);
    expect(() => nodeId(52, 1)).toThrow(TypeError); // would end at 2^53
    expect(() => nodeId(0, P53 - 1)).toThrow(TypeError);
  });
});

describe('decompose', () => {
  it('examples', () => {
    expect(decompose(0, 0)).toEqual([]);
    expect(ids(decompose(0, 7))).toEqual(['2/0', '1/2', '0/6']);
    expect(ids(decompose(3, 11))).toEqual(['0/3', '2/1', '1/4', '0/10']);
    expect(ids(decompose(0, 8))).toEqual(['3/0']);
    const huge = decompose(0, P53 - 1);
    expect(huge.length).toBe(53);
    expect(huge.map((id) => id.level)).toEqual(Array.from({ length: 53 }, (_, i) => 52 - i));
    expect(nodeRange(huge.at(-1)!)).toEqual({ begin: P53 - 2, end: P53 - 1 });
  });

  it('covers every range exactly with maximal aligned perfect subtrees (all ranges up to 100)', () => {
    for (let begin = 0; begin <= 100; begin++) {
      for (let end = begin; end <= 100; end++) {
        let at = begin;
        for (const id of decompose(begin, end)) {
          const range = nodeRange(id);
          expect(range.begin).toBe(at);
          // maximal: the parent is not inside [begin, end)
          const parent = nodeRange({ level: id.level + 1, index: Math.floor(id.index / 2) });
          expect(parent.begin >= begin && parent.end <= end).toBe(false);
          at = range.end;
        }
        expect(at).toBe(end);
      }
    }
  });

  it('rejects bad ranges', () => {
    expect(code(() => decompose(5, 4))).toBe('PROOF_SIZE_INVALID');
    for (const bad of BAD_NUMBERS) {
      expect(code(() => decompose(bad, 10))).toBe('PROOF_SIZE_INVALID');
      expect(code(() => decompose(0, bad))).toBe('PROOF_SIZE_INVALID');
    }
  });
});

describe('proof ranges', () => {
  it('inclusion examples and edge cases', () => {
    expect(inclusionRanges(0, 1)).toEqual([]);
    expect(inclusionRanges(5, 8)).toEqual([
      { begin: 4, end: 5 },
      { begin: 6, end: 8 },
      { begin: 0, end: 4 },
    ]);
    expect(inclusionRanges(0, 7)).toEqual([
      { begin: 1, end: 2 },
      { begin: 2, end: 4 },
      { begin: 4, end: 7 }, // right edge, not a perfect subtree
    ]);
    expect(inclusionRanges(P53 - 2, P53 - 1).length).toBe(52);
    expect(inclusionRanges(0, P53 - 1).length).toBe(53);
    expect(code(() => inclusionRanges(0, 0))).toBe('PROOF_INDEX_OUT_OF_RANGE');
    expect(code(() => inclusionRanges(8, 8))).toBe('PROOF_INDEX_OUT_OF_RANGE');
    for (const bad of BAD_NUMBERS) {
      expect(code(() => inclusionRanges(bad, 10))).toBe('PROOF_INDEX_OUT_OF_RANGE');
      expect(code(() => inclusionRanges(0, bad))).toBe('PROOF_SIZE_INVALID');
    }
  });

  it('consistency examples and edge cases', () => {
    expect(consistencyRanges(3, 3)).toEqual([]);
    expect(consistencyRanges(6, 8)).toEqual([
      { begin: 4, end: 6 },
      { begin: 6, end: 8 },
      { begin: 0, end: 4 },
    ]);
    expect(consistencyRanges(4, 8)).toEqual([{ begin: 4, end: 8 }]);
    expect(consistencyRanges(P53 - 2, P53 - 1).length).toBeLessThanOrEqual(2 * 53);
    for (const [size1, size2] of [
      [0, 0],
      [0, 5],
      [5, 3],
    ] as const) {
      expect(code(() => consistencyRanges(size1, size2))).toBe('PROOF_SIZE_INVALID');
    }
    for (const bad of BAD_NUMBERS) {
      expect(code(() => consistencyRanges(bad, 10))).toBe('PROOF_SIZE_INVALID');
      expect(code(() => consistencyRanges(1, bad))).toBe('PROOF_SIZE_INVALID');
    }
  });
});

describe('plans', () => {
  it('read each perfect node once, O(log n) of them', () => {
    const sizes = [1, 2, 3, 7, 8, 9, 1000, 1023, 1025, 2 ** 32 + 7, P53 - 1];
    for (const size of sizes) {
      const bound = 2 * Math.ceil(Math.log2(size + 1)) + 1;
      for (const index of [0, 1, Math.floor(size / 2), size - 2, size - 1].filter(
        (i) => i >= 0 && i < size,
      )) {
        const reads = ids(planInclusion(index, size).reads);
        expect(new Set(reads).size).toBe(reads.length);
        expect(reads.length).toBeLessThanOrEqual(bound);
      }
      for (const size1 of [1, 2, 3, Math.floor(size / 2), size - 1, size].filter(
        (m) => m >= 1 && m <= size,
      )) {
        const reads = ids(planConsistency(size1, size).reads);
        expect(new Set(reads).size).toBe(reads.length);
        expect(reads.length).toBeLessThanOrEqual(bound);
      }
      expect(rootPlan(size).reads.length).toBeLessThanOrEqual(53);
    }
  });

  it('validate their input and the hashes handed to assemble', () => {
    expect(code(() => planInclusion(3, 3))).toBe('PROOF_INDEX_OUT_OF_RANGE');
    expect(code(() => planConsistency(0, 3))).toBe('PROOF_SIZE_INVALID');
    expect(code(() => rootPlan(-1))).toBe('PROOF_SIZE_INVALID');
    const plan = planInclusion(2, 7);
    const good = plan.reads.map((id) => leafHash(new TextEncoder().encode(nodeKey(id))));
    expect(plan.assemble(good).length).toBe(3);
    expect(() => plan.assemble(good.slice(1))).toThrow(TypeError);
    expect(code(() => plan.assemble(good.map((h, i) => (i === 1 ? h.subarray(1) : h))))).toBe(
      'HASH_LENGTH_INVALID',
    );
  });

  it('rootPlan(0) is the empty root, as a copy', () => {
    const plan = rootPlan(0);
    expect(plan.reads).toEqual([]);
    const root = plan.assemble([]);
    expect(root).toEqual(EMPTY_ROOT);
    root[0] = 0;
    expect(EMPTY_ROOT[0]).toBe(0xe3);
  });
});
