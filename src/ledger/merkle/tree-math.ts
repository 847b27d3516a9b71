/**
 * Which subtrees an RFC 9162 §2.1 proof is made of, as leaf ranges, in proof order.
 *
 * The proofs are defined recursively in RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF),
 * with k the largest power of two strictly less than n. Both recursions emit the deeper hashes
 * first, so the iterative descents below collect the ranges top-down and then reverse them.
 *
 * Every range is either a perfect aligned subtree or a "right edge" range [a, size) whose hash is
 * MTH(D[a:size]): the root of its decomposition into perfect subtrees, combined right to left.
 *
 * All inputs are validated because they may come from an untrusted request or proof bundle.
 */
import { CustosError } from '../../core/errors.js';
import { checkSize, highestPowerOfTwoAtMost, isTreeNumber, log2Exact, splitPoint } from './node-id.js';
import type { LeafRange, NodeId } from './node-id.js';

/** Validates an inclusion request (attacker-controlled): PROOF_SIZE_INVALID, PROOF_INDEX_OUT_OF_RANGE. */
export function checkInclusionArgs(index: unknown, size: unknown): asserts index is number {
  checkSize(size, 'tree size');
  if (!isTreeNumber(index) || index >= size) {
    throw new CustosError('PROOF_INDEX_OUT_OF_RANGE', 'leaf index is not within the tree', {
      details: { index: typeof index === 'number' ? index : null, size },
    });
  }
}

/**
 * Validates a consistency request (attacker-controlled). Following transparency-dev/merkle, a
 * proof from the empty tree is not meaningful: size1 == 0 is PROOF_SIZE_INVALID, even (0, 0).
 */
export function checkConsistencyArgs(size1: unknown, size2: unknown): asserts size1 is number {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) {
    throw new CustosError('PROOF_SIZE_INVALID', 'size1 is greater than size2', { details: { size1, size2 } });
  }
  if (size1 === 0) {
    throw new CustosError('PROOF_SIZE_INVALID', 'a consistency proof from the empty tree is not defined', {
      details: { size1, size2 },
    });
  }
}

/**
 * Decomposes [begin, end) into maximal aligned perfect subtrees, left to right. For begin == 0
 * these are the subtrees of the binary representation of `end`, largest first. At most 2 * 53 nodes.
 */
export function decompose(begin: number, end: number): NodeId[] {
  checkSize(begin, 'range begin');
  checkSize(end, 'range end');
  if (begin > end) throw new CustosError('PROOF_SIZE_INVALID', 'range begin is after its end');
  const out: NodeId[] = [];
  let at = begin;
  while (at < end) {
    // The widest power of two that divides `at` (any, if at == 0) and still fits before `end`.
    let width = highestPowerOfTwoAtMost(end - at);
    while (at % width !== 0) width /= 2;
    out.push({ level: log2Exact(width), index: at / width });
    at += width;
  }
  return out;
}

/**
 * The ranges hashed in the inclusion proof for leaf `index` of a tree of `size` leaves, in proof
 * order (leaf sibling first, RFC 9162 §2.1.3.1). Empty for size 1.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  checkInclusionArgs(index, size);
  const out: LeafRange[] = [];
  let begin = 0;
  let end = size;
  while (end - begin > 1) {
    const mid = begin + splitPoint(end - begin);
    if (index < mid) {
      out.push({ begin: mid, end });
      end = mid;
    } else {
      out.push({ begin, end: mid });
      begin = mid;
    }
  }
  return out.reverse();
}

/**
 * The ranges hashed in the consistency proof from `size1` to `size2`, in proof order
 * (RFC 9162 §2.1.4.1 SUBPROOF). Empty when size1 == size2.
 */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  checkConsistencyArgs(size1, size2);
  const out: LeafRange[] = [];
  let begin = 0;
  let end = size2;
  let wholeOldTree = true; // the b flag of SUBPROOF: still inside the subtree equal to the old tree
  while (size1 - begin !== end - begin) {
    const mid = begin + splitPoint(end - begin);
    if (size1 <= mid) {
      out.push({ begin: mid, end });
      end = mid;
    } else {
      out.push({ begin, end: mid });
      begin = mid;
      wholeOldTree = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old subtree itself, which is perfect here.
  if (!wholeOldTree) out.push({ begin, end });
  return out.reverse();
}

/** Number of hashes in an inclusion proof (validates like inclusionRanges). */
export function inclusionProofLength(index: number, size: number): number {
  return inclusionRanges(index, size).length;
}

/** Number of hashes in a consistency proof (validates like consistencyRanges). */
export function consistencyProofLength(size1: number, size2: number): number {
  return consistencyRanges(size1, size2).length;
}
