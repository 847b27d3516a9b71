/**
 * Property tests: valid proofs verify; every tampering is rejected with a CustosError (never a
 * crash, never a pass). Changing the index or sizes is subtler: a root does not commit to the tree
 * size, so a proof can legitimately verify for other parameters whose proof has the same shape. A
 * symbolic oracle derived from the RFC 6962 §2.1 proof definitions (not from the verifier) decides
 * exactly when that happens, and the verifier must agree with it both ways.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustosError } from '../../core/errors.js';
import { CompactRange } from './compact-range.js';
import { leafHash } from './hasher.js';
import { nodeKey } from './node-id.js';
import { planConsistency, planInclusion } from './proof-plan.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof-verify.js';

const MAX = 520;
const leaves: Uint8Array[] = [];
const roots: Uint8Array[] = [];
const store = new Map<string, Uint8Array>();
{
  const range = new CompactRange();
  roots.push(range.root());
  for (let i = 0; i < MAX; i++) {
    const leaf = leafHash(new TextEncoder().encode(`property leaf ${i}`));
    leaves.push(leaf);
    for (const node of range.append(leaf)) store.set(nodeKey(node), node.hash);
    roots.push(range.root());
  }
}

function inclusionProof(index: number, size: number): Uint8Array[] {
  const plan = planInclusion(index, size);
  return plan.assemble(plan.reads.map((id) => store.get(nodeKey(id))!));
}

function consistencyProof(size1: number, size2: number): Uint8Array[] {
  const plan = planConsistency(size1, size2);
  return plan.assemble(plan.reads.map((id) => store.get(nodeKey(id))!));
}

/** 'ok', or the CustosError code; anything else thrown fails the test. */
function outcome(run: () => void): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof CustosError) return error.code;
    throw error;
  }
}

function inclusionOutcome(...args: Parameters<typeof verifyInclusion>): string {
  return outcome(() => {
    verifyInclusion(...args);
  });
}

function consistencyOutcome(...args: Parameters<typeof verifyConsistency>): string {
  return outcome(() => {
    verifyConsistency(...args);
  });
}

// ---------------------------------------------------------------- the symbolic oracle

const largestPowerOfTwoBelow = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
const valid = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** The root expression PATH(m, D[n]) (RFC 6962 §2.1.1) yields with proof labels p0.., leaf L. */
function pathShape(m: number, n: number, labels: readonly string[]): string | undefined {
  if (n === 1) return labels.length === 0 ? 'L' : undefined;
  const last = labels.at(-1);
  if (last === undefined) return undefined;
  const rest = labels.slice(0, -1);
  const k = largestPowerOfTwoBelow(n);
  const sub = m < k ? pathShape(m, k, rest) : pathShape(m - k, n - k, rest);
  if (sub === undefined) return undefined;
  return m < k ? `H(${sub},${last})` : `H(${last},${sub})`;
}

function inclusionShape(index: number, size: number, length: number): string | undefined {
  if (!valid(index) || !valid(size) || index >= size) return undefined;
  return pathShape(
    index,
    size,
    Array.from({ length }, (_, i) => `p${i}`),
  );
}

/** The [old root, new root] expressions SUBPROOF(m, D[n], b) (RFC 6962 §2.1.2) yields; R1 is root1. */
function subproofShape(
  m: number,
  n: number,
  b: boolean,
  labels: readonly string[],
): [string, string] | undefined {
  if (m === n) {
    if (b) return labels.length === 0 ? ['R1', 'R1'] : undefined;
    return labels.length === 1 ? [labels[0]!, labels[0]!] : undefined;
  }
  const last = labels.at(-1);
  if (last === undefined) return undefined;
  const rest = labels.slice(0, -1);
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    const sub = subproofShape(m, k, b, rest);
    return sub && [sub[0], `H(${sub[1]},${last})`];
  }
  const sub = subproofShape(m - k, n - k, false, rest);
  return sub && [`H(${last},${sub[0]})`, `H(${last},${sub[1]})`];
}

function consistencyShape(size1: number, size2: number, length: number): [string, string] | undefined {
  if (!valid(size1) || !valid(size2) || size1 === 0 || size1 > size2) return undefined;
  return subproofShape(
    size1,
    size2,
    true,
    Array.from({ length }, (_, i) => `p${i}`),
  );
}

// ---------------------------------------------------------------- arbitraries

const inclusionCase = fc
  .integer({ min: 1, max: MAX })
  .chain((size) => fc.record({ size: fc.constant(size), index: fc.integer({ min: 0, max: size - 1 }) }));

const consistencyCase = fc
  .integer({ min: 1, max: MAX })
  .chain((size2) => fc.record({ size2: fc.constant(size2), size1: fc.integer({ min: 1, max: size2 }) }));

/** A change of an index or size: a nearby value (likely the same proof shape) or any number. */
const otherNumber = fc.oneof(
  fc.integer({ min: -8, max: 8 }).map((delta) => (n: number) => n + delta),
  fc
    .oneof(
      fc.integer({ min: -3, max: 2 * MAX }),
      fc.constantFrom(NaN, Infinity, 1.5, 2 ** 32, 2 ** 53, 2 ** 53 - 1, 2 ** 64),
    )
    .map((value) => (_n: number) => value),
);

type Tamper = (proof: Uint8Array[], a: Uint8Array, b: Uint8Array) => [Uint8Array[], Uint8Array, Uint8Array];

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes); // a copy even for a Buffer (whose slice() is a view)
  copy[Math.floor(bit / 8) % copy.length]! ^= 1 << (bit % 8);
  return copy;
}

/** Tamperings of (proof, first hash, second hash): each must always be rejected. */
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(255)).map(([at, bit]): Tamper => (p, a, b) => {
    if (p.length === 0) return [p, flip(a, bit), b];
    return [p.map((h, i) => (i === at % p.length ? flip(h, bit) : h)), a, b];
  }),
  fc.nat(255).map((bit): Tamper => (p, a, b) => [p, flip(a, bit), b]),
  fc.nat(255).map((bit): Tamper => (p, a, b) => [p, a, flip(b, bit)]),
  fc.nat().map((at): Tamper => (p, a, b) => {
    if (p.length === 0) return [[a], a, b];
    return [p.filter((_, i) => i !== at % p.length), a, b]; // remove one element
  }),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(([at, extra]): Tamper => (p, a, b) => {
      const copy = [...p];
      copy.splice(at % (p.length + 1), 0, extra); // insert one element
      return [copy, a, b];
    }),
  fc
    .tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 64 }).filter((n) => n !== 32),
    )
    .map(([at, length]): Tamper => (p, a, b) => {
      const bad = new Uint8Array(length);
      if (p.length === 0) return [[bad], a, b];
      return [p.map((h, i) => (i === at % p.length ? bad : h)), a, b]; // wrong-length element
    }),
  fc
    .integer({ min: 0, max: 64 })
    .filter((n) => n !== 32)
    .map((length): Tamper => (p, a, b) => {
      const bad = new Uint8Array(length); // first hash cut short or extended
      bad.set(a.subarray(0, Math.min(length, a.length)));
      return [p, bad, b];
    }),
  fc.constant<Tamper>((p, a, b) => [p.length > 1 ? [...p].reverse() : [...p, a], a, b]),
  fc.constant<Tamper>((p, a, b) => [p.length > 0 ? p.slice(0, -1) : [b], a, b]),
);

// ---------------------------------------------------------------- properties

describe('inclusion proof properties', () => {
  it('every valid proof verifies', () => {
    fc.assert(
      fc.property(inclusionCase, ({ index, size }) => {
        const proof = inclusionProof(index, size);
        verifyInclusion(index, size, leaves[index]!, proof, roots[size]!);
        expect(rootFromInclusionProof(index, size, leaves[index]!, proof)).toEqual(roots[size]);
      }),
      { numRuns: 500 },
    );
  });

  it('any tampering of the proof, the leaf or the root is rejected with a CustosError', () => {
    fc.assert(
      fc.property(inclusionCase, tamper, ({ index, size }, change) => {
        const [proof, leaf, root] = change(inclusionProof(index, size), leaves[index]!, roots[size]!);
        expect(inclusionOutcome(index, size, leaf, proof, root)).not.toBe('ok');
      }),
      { numRuns: 1500 },
    );
  });

  it('another index or size verifies exactly when the proof shape is the same', () => {
    fc.assert(
      fc.property(inclusionCase, otherNumber, fc.boolean(), ({ index, size }, other, changeIndex) => {
        const [index2, size2] = changeIndex ? [other(index), size] : [index, other(size)];
        fc.pre(index2 !== index || size2 !== size);
        const proof = inclusionProof(index, size);
        const same =
          inclusionShape(index2, size2, proof.length) === inclusionShape(index, size, proof.length);
        const result = inclusionOutcome(index2, size2, leaves[index]!, proof, roots[size]!);
        expect(result === 'ok').toBe(same);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('consistency proof properties', () => {
  it('every valid proof verifies', () => {
    fc.assert(
      fc.property(consistencyCase, ({ size1, size2 }) => {
        verifyConsistency(size1, size2, consistencyProof(size1, size2), roots[size1]!, roots[size2]!);
      }),
      { numRuns: 500 },
    );
  });

  it('any tampering of the proof or either root is rejected with a CustosError', () => {
    fc.assert(
      fc.property(consistencyCase, tamper, ({ size1, size2 }, change) => {
        const [proof, root1, root2] = change(consistencyProof(size1, size2), roots[size1]!, roots[size2]!);
        expect(consistencyOutcome(size1, size2, proof, root1, root2)).not.toBe('ok');
      }),
      { numRuns: 1500 },
    );
  });

  it('swapped roots are rejected', () => {
    fc.assert(
      fc.property(consistencyCase, ({ size1, size2 }) => {
        fc.pre(size1 !== size2);
        const proof = consistencyProof(size1, size2);
        expect(consistencyOutcome(size1, size2, proof, roots[size2]!, roots[size1]!)).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('other sizes verify exactly when the proof shape is the same', () => {
    fc.assert(
      fc.property(consistencyCase, otherNumber, fc.boolean(), ({ size1, size2 }, other, changeFirst) => {
        const [m, n] = changeFirst ? [other(size1), size2] : [size1, other(size2)];
        fc.pre(m !== size1 || n !== size2);
        const proof = consistencyProof(size1, size2);
        const original = consistencyShape(size1, size2, proof.length)!;
        // The value of root1 as an expression: the atom R1 when it is part of the proof path.
        const root1 = original[0];
        const changed = consistencyShape(m, n, proof.length);
        const same =
          changed !== undefined &&
          changed[0].replaceAll('R1', root1) === root1 &&
          changed[1].replaceAll('R1', root1) === original[1];
        const result = consistencyOutcome(m, n, proof, roots[size1]!, roots[size2]!);
        expect(result === 'ok').toBe(same);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('garbage input', () => {
  const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 53, 2 ** 64, -1));
  const bytes = fc.uint8Array({ maxLength: 40 });
  const anything = fc.oneof(bytes, fc.anything());

  it('verification only ever throws CustosError', () => {
    fc.assert(
      fc.property(
        number,
        number,
        anything,
        fc.oneof(fc.array(anything), fc.anything()),
        anything,
        (a, b, h, p, r) => {
          // outcome() rethrows anything that is not a CustosError; passing by chance is irrelevant here.
          const inclusionArgs = [a, b, h, p, r] as unknown as Parameters<typeof verifyInclusion>;
          const consistencyArgs = [a, b, p, h, r] as unknown as Parameters<typeof verifyConsistency>;
          const rootArgs = [a, b, h, p] as unknown as Parameters<typeof rootFromInclusionProof>;
          inclusionOutcome(...inclusionArgs);
          consistencyOutcome(...consistencyArgs);
          outcome(() => {
            rootFromInclusionProof(...rootArgs);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
