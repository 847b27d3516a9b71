/**
 * Addresses of perfect subtrees and leaf ranges in an RFC 6962 / RFC 9162 §2.1 Merkle tree.
 *
 * A `NodeId` {level, index} names the perfect (complete, aligned) subtree covering leaves
 * [index * 2^level, (index + 1) * 2^level). Level 0 nodes are leaves. Such a node's hash never
 * changes once all of its leaves exist, so these are exactly the hashes a store persists.
 *
 * Sizes and indexes are JS numbers up to 2^53 - 1. No 32-bit bitwise operator is used anywhere:
 * multiplication and division by powers of two are exact on safe integers.
 */
import { CustosError } from '../../core/errors.js';

/** The perfect subtree covering leaves [index * 2^level, (index + 1) * 2^level). */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A half-open range of leaf indexes [begin, end). */
export interface LeafRange {
  readonly begin: number;
  readonly end: number;
}

/** The highest level of a perfect node in a tree of at most 2^53 - 1 leaves. */
export const MAX_LEVEL = 52;

/** True when `n` is an integer in [0, 2^53 - 1]; false for NaN, fractions, negatives, non-numbers. */
export function isTreeNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Rejects a size or index that is not a safe non-negative integer (possibly attacker-controlled). */
export function checkSize(size: unknown, what = 'size'): asserts size is number {
  if (!isTreeNumber(size)) {
    throw new CustosError('PROOF_SIZE_INVALID', `${what} must be a non-negative safe integer`);
  }
}

/** Constructs a NodeId, rejecting ids covering a leaf beyond index 2^53 - 2 (misuse: TypeError). */
export function nodeId(level: number, index: number): NodeId {
  if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL || !isTreeNumber(index)) {
    throw new TypeError(`invalid node id ${level}/${index}`);
  }
  if ((index + 1) * 2 ** level > Number.MAX_SAFE_INTEGER) {
    throw new TypeError(`node id ${level}/${index} does not fit in a tree of 2^53 - 1 leaves`);
  }
  return { level, index };
}

/** The leaf range [begin, end) covered by a node. */
export function nodeRange(id: NodeId): LeafRange {
  const width = 2 ** id.level;
  return { begin: id.index * width, end: (id.index + 1) * width };
}

/** A stable string key for maps and sets, "level/index". */
export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/** 2^floor(log2(n)) for n >= 1, exact for every safe integer. */
export function highestPowerOfTwoAtMost(n: number): number {
  let p = 2 ** Math.floor(Math.log2(n));
  // Math.log2 may round up for n just below a power of two (for example 2^53 - 1); correct it.
  while (p > n) p /= 2;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** The largest power of two strictly less than n, for n >= 2 (the split point k of RFC 6962 §2.1). */
export function splitPoint(n: number): number {
  return highestPowerOfTwoAtMost(n - 1);
}

/** log2 of a power of two, exact. */
export function log2Exact(p: number): number {
  let level = 0;
  for (let w = 1; w < p; w *= 2) level++;
  return level;
}

/** The node id of [begin, end) when that range is a perfect aligned subtree, else undefined. */
export function perfectNodeOf(begin: number, end: number): NodeId | undefined {
  const width = end - begin;
  if (width < 1 || highestPowerOfTwoAtMost(width) !== width || begin % width !== 0) return undefined;
  return { level: log2Exact(width), index: begin / width };
}
