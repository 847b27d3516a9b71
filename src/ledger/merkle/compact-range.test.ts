import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import { CustosError } from '../../core/errors.js';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, leafHash } from './hasher.js';
import { nodeKey } from './node-id.js';
import { rootPlan } from './proof-plan.js';
import { decompose } from './tree-math.js';

const leaf = (i: number): Uint8Array => leafHash(new TextEncoder().encode(`leaf ${i}`));

function code(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof CustosError) return error.code;
    throw error;
  }
}

describe('CompactRange', () => {
  it('starts empty', () => {
    const range = new CompactRange();
    expect(range.size).toBe(0);
    expect(range.root()).toEqual(EMPTY_ROOT);
    expect(range.hashes()).toEqual([]);
  });

  it('append reports the leaf and every perfect node it completes', () => {
    const range = new CompactRange();
    for (let i = 0; i < 200; i++) {
      const reported = range.append(leaf(i)).map(nodeKey);
      const size = i + 1;
      const expected = [];
      for (let level = 0; size % 2 ** level === 0; level++)
        expected.push(`${level}/${size / 2 ** level - 1}`);
      expect(reported).toEqual(expected);
      expect(range.size).toBe(size);
    }
  });

  it('hashes() are the perfect subtrees of decompose(0, size); from() restores and continues', () => {
    const store = new Map<string, Uint8Array>();
    const range = new CompactRange();
    for (let i = 0; i < 100; i++) {
      for (const node of range.append(leaf(i))) store.set(nodeKey(node), node.hash);
      const perfect = decompose(0, range.size).map((id) => store.get(nodeKey(id))!);
      expect(range.hashes().map(toHex)).toEqual(perfect.map(toHex));
      const plan = rootPlan(range.size);
      expect(toHex(range.root())).toBe(toHex(plan.assemble(plan.reads.map((id) => store.get(nodeKey(id))!))));
    }
    const restored = CompactRange.from(
      37,
      decompose(0, 37).map((id) => store.get(nodeKey(id))!),
    );
    const fresh = new CompactRange();
    for (let i = 0; i < 37; i++) fresh.append(leaf(i));
    for (let i = 37; i < 100; i++) {
      expect(restored.append(leaf(i)).map(nodeKey)).toEqual(fresh.append(leaf(i)).map(nodeKey));
      expect(toHex(restored.root())).toBe(toHex(fresh.root()));
    }
    expect(toHex(restored.root())).toBe(toHex(range.root()));
  });

  it('clone() is independent', () => {
    const range = new CompactRange();
    for (let i = 0; i < 5; i++) range.append(leaf(i));
    const root5 = toHex(range.root());
    const copy = range.clone();
    copy.append(leaf(5));
    expect(range.size).toBe(5);
    expect(toHex(range.root())).toBe(root5);
    range.append(leaf(5));
    expect(toHex(range.root())).toBe(toHex(copy.root()));
  });

  it('returns copies and keeps copies of restored hashes (also when given Buffers)', () => {
    const buffers = [Buffer.from(leaf(1))];
    const range = CompactRange.from(1, buffers);
    const before = toHex(range.root());
    buffers[0]!.fill(0);
    range.root().fill(0);
    range.hashes()[0]!.fill(0);
    expect(toHex(range.root())).toBe(before);
    const single = new CompactRange();
    single.append(leaf(9));
    single.root().fill(0);
    expect(toHex(single.root())).toBe(toHex(leaf(9)));
  });

  it('validates input', () => {
    const range = new CompactRange();
    expect(code(() => range.append(new Uint8Array(31)))).toBe('HASH_LENGTH_INVALID');
    expect(code(() => range.append('x' as unknown as Uint8Array))).toBe('HASH_LENGTH_INVALID');
    expect(range.size).toBe(0);
    expect(code(() => CompactRange.from(3, [leaf(0)]))).toBe('PROOF_LENGTH_INVALID');
    expect(code(() => CompactRange.from(3, [leaf(0), new Uint8Array(33)]))).toBe('HASH_LENGTH_INVALID');
    expect(code(() => CompactRange.from(0, 'x' as unknown as Uint8Array[]))).toBe('PROOF_MALFORMED');
    for (const bad of [-1, 1.5, NaN, 2 ** 53]) {
      expect(code(() => CompactRange.from(bad, []))).toBe('PROOF_SIZE_INVALID');
    }
    const full = CompactRange.from(
      Number.MAX_SAFE_INTEGER,
      Array.from({ length: 53 }, (_, i) => leaf(i)),
    );
    expect(full.size).toBe(2 ** 53 - 1);
    expect(code(() => full.append(leaf(0)))).toBe('PROOF_SIZE_INVALID');
    expect(full.root().length).toBe(32);
  });
});
