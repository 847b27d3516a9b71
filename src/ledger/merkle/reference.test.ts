/**
 * Cross-checks against a naive RFC 6962 §2.1 reference written plainly from the RFC text: MTH,
 * PATH (§2.1.1) and PROOF/SUBPROOF (§2.1.2). The reference has its own SHA-256 framing and shares
 * no code with the implementation. It memoizes MTH of ranges so one leaf sequence can serve every
 * tree size, which does not change what it computes.
 */
import { hash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.js';
import { CompactRange } from './compact-range.js';
import { leafHash } from './hasher.js';
import { nodeKey, nodeRange } from './node-id.js';
import type { NodeId } from './node-id.js';
import { planConsistency, planInclusion, rootPlan } from './proof-plan.js';
import type { ProofPlan, RootPlan } from './proof-plan.js';
import { verifyConsistency, verifyInclusion } from './proof-verify.js';

// ---------------------------------------------------------------- the naive reference (RFC 6962 §2.1)

function sha256(...parts: Uint8Array[]): Uint8Array {
  return hash('sha256', Buffer.concat(parts), 'buffer');
}

/** k: the largest power of two smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Leaf hash of the reference: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
function referenceLeafHash(d: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), d);
}

interface ReferenceOptions {
  /** Memoize MTH only for ranges at least this wide (memory for huge trees). */
  readonly memoFrom?: number;
  /** A known MTH(D[begin:end]) for ranges of a virtual tree, or undefined to recurse. */
  readonly shortcut?: (begin: number, end: number) => Uint8Array | undefined;
}

class Reference {
  readonly #memo = new Map<string, Uint8Array>();

  /** D is given by the hash of each leaf, MTH({d(i)}). */
  constructor(
    private readonly leafAt: (i: number) => Uint8Array,
    private readonly options: ReferenceOptions = {},
  ) {}

  /** MTH(D[begin:end]). */
  mth(begin: number, end: number): Uint8Array {
    const n = end - begin;
    if (n === 0) return sha256(); // MTH({}) = SHA-256()
    if (n === 1) return this.leafAt(begin);
    const known = this.options.shortcut?.(begin, end) ?? this.#memo.get(`${begin},${end}`);
    if (known !== undefined) return known;
    // MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
    const k = largestPowerOfTwoBelow(n);
    const result = sha256(Uint8Array.of(1), this.mth(begin, begin + k), this.mth(begin + k, end));
    if (n >= (this.options.memoFrom ?? 2)) this.#memo.set(`${begin},${end}`, result);
    return result;
  }

  /** PATH(m, D[begin:end]), m relative to begin. */
  path(m: number, begin: number, end: number): Uint8Array[] {
    const n = end - begin;
    if (n === 1) return []; // PATH(0, {d(0)}) = {}
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...this.path(m, begin, begin + k), this.mth(begin + k, end)];
    return [...this.path(m - k, begin + k, end), this.mth(begin, begin + k)];
  }

  /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
  proof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  /** SUBPROOF(m, D[begin:end], b), m relative to begin. */
  subproof(m: number, begin: number, end: number, b: boolean): Uint8Array[] {
    const n = end - begin;
    if (m === n) return b ? [] : [this.mth(begin, end)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.subproof(m, begin, begin + k, b), this.mth(begin + k, end)];
    return [...this.subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)];
  }
}

// ---------------------------------------------------------------- helpers

/** Deterministic PRNG (mulberry32) for reproducible samples. */
function prng(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** Leaf i: its decimal index followed by i % 37 filler bytes (so leaves differ in length). */
function leafData(i: number): Uint8Array {
  const digits = String(i);
  const bytes = new Uint8Array(digits.length + (i % 37)).fill(0x78);
  for (let j = 0; j < digits.length; j++) bytes[j] = digits.charCodeAt(j);
  return bytes;
}

type Store = (id: NodeId) => Uint8Array;

function run(plan: ProofPlan, store: Store): Uint8Array[];
function run(plan: RootPlan, store: Store): Uint8Array;
function run(plan: ProofPlan | RootPlan, store: Store): Uint8Array[] | Uint8Array {
  return plan.assemble(plan.reads.map(store));
}

const hexes = (list: readonly Uint8Array[]): string[] => list.map(toHex);

// ---------------------------------------------------------------- every size up to 1100

describe('against the naive RFC 6962 reference, sizes 0..1100', () => {
  const MAX = 1100;
  const data = Array.from({ length: MAX }, (_, i) => leafData(i));
  const refLeaves = data.map(referenceLeafHash);
  const ref = new Reference((i) => refLeaves[i]!);
  // The store: exactly the perfect nodes CompactRange.append reports, and the roots it computes.
  const nodes = new Map<string, Uint8Array>();
  const rangeRoots: string[] = [];
  const range = new CompactRange();
  rangeRoots.push(toHex(range.root()));
  let reported = 0;
  for (const d of data) {
    for (const node of range.append(leafHash(d))) {
      nodes.set(nodeKey(node), node.hash);
      reported++;
    }
    rangeRoots.push(toHex(range.root()));
  }
  const store: Store = (id) => nodes.get(nodeKey(id)) ?? expect.fail(`no node ${nodeKey(id)}`);
  const roots = Array.from({ length: MAX + 1 }, (_, n) => ref.mth(0, n));

  it('CompactRange reports exactly the perfect nodes, with the reference hashes', () => {
    let expected = 0;
    for (let level = 0; 2 ** level <= MAX; level++) expected += Math.floor(MAX / 2 ** level);
    expect(nodes.size).toBe(expected);
    expect(reported).toBe(expected); // each node reported once
    for (const [key, hash] of nodes) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      const { begin, end } = nodeRange({ level, index });
      expect(toHex(hash)).toBe(toHex(ref.mth(begin, end)));
    }
  });

  it('roots of every size via CompactRange and via rootPlan', () => {
    for (let n = 0; n <= MAX; n++) {
      expect(rangeRoots[n]).toBe(toHex(roots[n]!));
      expect(toHex(run(rootPlan(n), store))).toBe(rangeRoots[n]);
    }
  });

  function checkInclusion(m: number, n: number): void {
    const proof = run(planInclusion(m, n), store);
    expect(hexes(proof)).toEqual(hexes(ref.path(m, 0, n)));
    verifyInclusion(m, n, leafHash(data[m]!), proof, roots[n]!);
  }

  function checkConsistency(m: number, n: number): void {
    const proof = run(planConsistency(m, n), store);
    expect(hexes(proof)).toEqual(hexes(ref.proof(m, n)));
    verifyConsistency(m, n, proof, roots[m]!, roots[n]!);
  }

  it('inclusion proofs for every index of every size up to 130', () => {
    for (let n = 1; n <= 130; n++) for (let m = 0; m < n; m++) checkInclusion(m, n);
  });

  it('inclusion proofs for sizes 131..1100: first, last and 20 random indexes', () => {
    const random = prng(1);
    for (let n = 131; n <= MAX; n++) {
      checkInclusion(0, n);
      checkInclusion(n - 1, n);
      for (let i = 0; i < 20; i++) checkInclusion(random(n), n);
    }
  });

  it('consistency proofs for every pair up to 130', () => {
    for (let n = 1; n <= 130; n++) for (let m = 1; m <= n; m++) checkConsistency(m, n);
  });

  it('consistency proofs for sizes 131..1100: 1, n-1, n, powers of two and 12 random', () => {
    const random = prng(2);
    for (let n = 131; n <= MAX; n++) {
      for (const m of [1, n - 1, n]) checkConsistency(m, n);
      for (let p = 2; p < n; p *= 2) checkConsistency(p, n);
      for (let i = 0; i < 12; i++) checkConsistency(1 + random(n), n);
    }
  });
});

// ---------------------------------------------------------------- random sizes up to 1,000,000

describe('against the naive reference, random sizes up to 1,000,000', () => {
  const random = prng(3);
  const sizes = [...Array.from({ length: 5 }, () => 1 + random(1_000_000)), 2 ** 19, 2 ** 19 + 1, 1_000_000];
  sizes.sort((a, b) => a - b);
  const MAX = sizes.at(-1)!;
  // Synthetic, distinct leaf hashes shared by both sides (leaf hashing is checked above and needs
  // no second million SHA-256 calls); the reference memoizes only wide ranges (~2 * MAX / 64).
  const leaves: Uint8Array[] = [];
  const ref = new Reference((i) => leaves[i]!, { memoFrom: 64 });
  // Perfect nodes for the plans come from the reference: this block checks plan shape and
  // assembly at scale; the node set CompactRange reports is checked above and below.
  const store: Store = (id) => {
    const { begin, end } = nodeRange(id);
    return ref.mth(begin, end);
  };

  beforeAll(() => {
    for (let i = 0; i < MAX; i++) {
      const leaf = new Uint8Array(32).fill(0xa5);
      const view = new DataView(leaf.buffer);
      view.setUint32(0, Math.floor(i / 2 ** 32));
      view.setUint32(4, i % 2 ** 32);
      leaves.push(leaf);
    }
  });

  it('CompactRange roots and reported wide nodes match the reference', () => {
    const range = new CompactRange();
    const roots = new Map(sizes.map((n) => [n, toHex(ref.mth(0, n))]));
    let checkedNodes = 0;
    for (let i = 0; i < MAX; i++) {
      for (const node of range.append(leaves[i]!)) {
        if (node.level >= 12) {
          const { begin, end } = nodeRange(node);
          expect(toHex(node.hash)).toBe(toHex(ref.mth(begin, end)));
          checkedNodes++;
        }
      }
      const want = roots.get(range.size);
      if (want !== undefined) expect(toHex(range.root())).toBe(want);
    }
    let expected = 0;
    for (let level = 12; 2 ** level <= MAX; level++) expected += Math.floor(MAX / 2 ** level);
    expect(checkedNodes).toBe(expected);
  });

  it('rootPlan, inclusion and consistency plans match the reference and verify', () => {
    for (const n of sizes) {
      const root = run(rootPlan(n), store);
      expect(toHex(root)).toBe(toHex(ref.mth(0, n)));
      for (const m of [0, n - 1, random(n), random(n), random(n)]) {
        const proof = run(planInclusion(m, n), store);
        expect(hexes(proof)).toEqual(hexes(ref.path(m, 0, n)));
        verifyInclusion(m, n, leaves[m]!, proof, root);
      }
      for (const m of [1, n - 1, 1 + random(n), 1 + random(n), 1 + random(n)]) {
        const proof = run(planConsistency(m, n), store);
        expect(hexes(proof)).toEqual(hexes(ref.proof(m, n)));
        verifyConsistency(m, n, proof, ref.mth(0, m), root);
      }
    }
  });
});

// ---------------------------------------------------------------- sizes near 2^53

/**
 * A virtual tree of up to 2^53 - 1 leaves: every leaf is the same except a few "special" ones, so
 * MTH of any range without a special leaf depends only on its width and is memoized by width. The
 * reference recursion is unchanged; only those uniform ranges take the shortcut.
 */
function virtualTree(specials: readonly number[]): { ref: Reference; leafAt: (i: number) => Uint8Array } {
  const uniformLeaf = referenceLeafHash(new TextEncoder().encode('uniform'));
  const specialSet = new Set(specials);
  const leafAt = (i: number): Uint8Array =>
    specialSet.has(i) ? referenceLeafHash(new TextEncoder().encode(`special ${i}`)) : uniformLeaf;
  const byWidth = new Map<number, Uint8Array>();
  const uniform = (n: number): Uint8Array => {
    if (n === 1) return uniformLeaf;
    let known = byWidth.get(n);
    if (known === undefined) {
      const k = largestPowerOfTwoBelow(n);
      known = sha256(Uint8Array.of(1), uniform(k), uniform(n - k));
      byWidth.set(n, known);
    }
    return known;
  };
  const shortcut = (begin: number, end: number): Uint8Array | undefined =>
    specials.some((s) => s >= begin && s < end) ? undefined : uniform(end - begin);
  return { ref: new Reference(leafAt, { shortcut }), leafAt };
}

describe('against the reference on virtual trees of up to 2^53 - 1 leaves', () => {
  const P32 = 2 ** 32;
  const sizes = [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 52 + 3, 2 ** 40 + 12_345, P32 + 1, P32, P32 - 1, 961_984_013];

  it.each(sizes.map((n) => [n]))('size %d', (n) => {
    const random = prng(n % 1_000_003);
    const specials = [0, n - 1, Math.floor(n / 2), P32, P32 - 1, 10_000, random(n), random(n)].filter(
      (s) => s < n,
    );
    const { ref, leafAt } = virtualTree(specials);
    const store: Store = (id) => {
      const { begin, end } = nodeRange(id);
      return ref.mth(begin, end);
    };
    const maxReads = 2 * 53 + 1;

    const plan = rootPlan(n);
    const root = run(plan, store);
    expect(toHex(root)).toBe(toHex(ref.mth(0, n)));

    for (const m of [...specials, 12_345]) {
      const inclusion = planInclusion(m, n);
      expect(inclusion.reads.length).toBeLessThanOrEqual(maxReads);
      const proof = run(inclusion, store);
      expect(hexes(proof)).toEqual(hexes(ref.path(m, 0, n)));
      verifyInclusion(m, n, leafAt(m), proof, root);
    }

    for (const m of [1, 2, 3, P32 - 1, P32, P32 + 1, 2 ** 52, Math.floor(n / 3), n - 1, n, random(n) + 1]) {
      if (m > n) continue;
      const consistency = planConsistency(m, n);
      expect(consistency.reads.length).toBeLessThanOrEqual(maxReads);
      const proof = run(consistency, store);
      expect(hexes(proof)).toEqual(hexes(ref.proof(m, n)));
      verifyConsistency(m, n, proof, ref.mth(0, m), root);
    }

    // A compact range restored at this size keeps growing correctly past it.
    const range = CompactRange.from(n, plan.reads.map(store));
    expect(toHex(range.root())).toBe(toHex(root));
    for (let i = n; i < Math.min(n + 3, Number.MAX_SAFE_INTEGER); i++) {
      for (const node of range.append(leafAt(i))) {
        const { begin, end } = nodeRange(node);
        expect(end).toBe(i + 1);
        expect(toHex(node.hash)).toBe(toHex(ref.mth(begin, end)));
      }
      expect(toHex(range.root())).toBe(toHex(ref.mth(0, i + 1)));
    }
  });
});
