/**
 * Building RFC 9162 §2.1 proofs and roots from a store that persists only perfect subtree hashes
 * (every complete aligned node, at every level).
 *
 * A plan lists the perfect nodes to read (deduplicated, O(log n) of them) and assembles the proof
 * from their hashes. A proof hash over a right-edge range [a, size) that is not itself a perfect
 * subtree is MTH(D[a:size]) (RFC 9162 §2.1.1): the root of the range's decomposition into perfect
 * subtrees p1 .. pj (largest first), which is nodeHash(p1, nodeHash(p2, ... pj)), right to left.
 *
 * The hashes passed to `assemble` come from the store; a hash of the wrong length means the store
 * is corrupt and throws HASH_LENGTH_INVALID. Passing the wrong number of hashes is a programming
 * error (TypeError).
 */
import { CustosError } from '../../core/errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hasher.js';
import { nodeKey } from './node-id.js';
import type { LeafRange, NodeId } from './node-id.js';
import { checkSize } from './node-id.js';
import { consistencyRanges, decompose, inclusionRanges } from './tree-math.js';

/** What to read from the store, and how to turn those hashes into a proof. */
export interface ProofPlan {
  /** Perfect nodes to fetch, deduplicated; `assemble` expects their hashes in this order. */
  readonly reads: readonly NodeId[];
  /** Builds the proof (in RFC 9162 proof order) from the hashes of `reads`, in `reads` order. */
  assemble(hashes: readonly Uint8Array[]): Uint8Array[];
}

/** What to read from the store, and how to turn those hashes into a tree root. */
export interface RootPlan {
  readonly reads: readonly NodeId[];
  assemble(hashes: readonly Uint8Array[]): Uint8Array;
}

function checkStoreHashes(hashes: readonly Uint8Array[], expected: number): void {
  if (hashes.length !== expected) {
    throw new TypeError(`assemble: expected ${expected} hashes, got ${hashes.length}`);
  }
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new CustosError('HASH_LENGTH_INVALID', `stored node hash ${i} is not ${HASH_SIZE} bytes`, {
        details: { position: i },
      });
    }
  }
}

/** MTH of consecutive perfect subtrees, largest first: combined right to left. */
function foldRight(hashes: readonly Uint8Array[], slots: readonly number[]): Uint8Array {
  let at = slots.length - 1;
  let acc = hashes[slots[at]!]!;
  while (--at >= 0) acc = nodeHash(hashes[slots[at]!]!, acc);
  return acc;
}

function planRanges(ranges: readonly LeafRange[]): ProofPlan {
  const reads: NodeId[] = [];
  const slotByKey = new Map<string, number>();
  const parts = ranges.map((range) =>
    decompose(range.begin, range.end).map((id) => {
      const key = nodeKey(id);
      let slot = slotByKey.get(key);
      if (slot === undefined) {
        slot = reads.length;
        slotByKey.set(key, slot);
        reads.push(id);
      }
      return slot;
    }),
  );
  return {
    reads,
    assemble(hashes) {
      checkStoreHashes(hashes, reads.length);
      return parts.map((slots) => foldRight(hashes, slots));
    },
  };
}

/** Plan for the inclusion proof of leaf `index` in a tree of `size` (both attacker-controlled). */
export function planInclusion(index: number, size: number): ProofPlan {
  return planRanges(inclusionRanges(index, size));
}

/** Plan for the consistency proof from `size1` to `size2` (both attacker-controlled). */
export function planConsistency(size1: number, size2: number): ProofPlan {
  return planRanges(consistencyRanges(size1, size2));
}

/** Plan for the root MTH(D[0:size]) (RFC 9162 §2.1.1); EMPTY_ROOT (a copy) for size 0. */
export function rootPlan(size: number): RootPlan {
  checkSize(size, 'tree size');
  const reads = decompose(0, size);
  const slots = reads.map((_, i) => i);
  return {
    reads,
    assemble(hashes) {
      checkStoreHashes(hashes, reads.length);
      return size === 0 ? new Uint8Array(EMPTY_ROOT) : foldRight(hashes, slots);
    },
  };
}
