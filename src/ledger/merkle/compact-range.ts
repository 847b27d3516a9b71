/**
 * An incremental Merkle accumulator ("compact range") for the prefix [0, size) of an RFC 9162 §2.1
 * tree: it holds only the hashes of the perfect subtrees of decompose(0, size), one per set bit of
 * `size`, largest (leftmost) first. Appending a leaf merges equal-sized subtrees like a binary
 * counter increment, and the root MTH(D[0:size]) combines the held hashes right to left.
 *
 * This is the hot path of appends and of full-ledger verification, so appends allocate nothing
 * beyond the new node hashes and the small report of completed nodes. Hash arrays are shared,
 * never mutated: callers must not mutate a leaf hash after appending it, nor the hashes reported by
 * `append`. `hashes()` and `root()` return copies (made with `new Uint8Array(x)`, never `x.slice()`,
which for a Buffer is a view).
 */
import { CustosError } from '../../core/errors.js';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hasher.js';
import { checkSize } from './node-id.js';
import type { NodeId } from './node-id.js';

/** A perfect subtree and its hash, as a store persists it. */
export interface PerfectNode extends NodeId {
  readonly hash: Uint8Array;
}

function checkHash(hash: unknown, what: string): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new CustosError('HASH_LENGTH_INVALID', `${what} is not a ${HASH_SIZE}-byte hash`);
  }
}

/** Number of set bits of a safe integer, by arithmetic (sizes may exceed 2^32). */
function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

export class CompactRange {
  #size = 0;
  #hashes: Uint8Array[] = [];

  /** Number of leaves in the range [0, size). */
  get size(): number {
    return this.#size;
  }

  /**
   * Rebuilds a range from its size and the perfect subtree hashes of decompose(0, size), left to
   * right (for example read back from a store or a checkpoint; possibly attacker-controlled).
   */
  static from(size: number, hashes: readonly Uint8Array[]): CompactRange {
    checkSize(size, 'range size');
    const untrusted: unknown = hashes;
    if (!Array.isArray(untrusted))
      throw new CustosError('PROOF_MALFORMED', 'compact range hashes are not a list');
    const expected = bitCount(size);
    if (hashes.length !== expected) {
      throw new CustosError('PROOF_LENGTH_INVALID', 'wrong number of hashes for the range size', {
        details: { size, expected, actual: hashes.length },
      });
    }
    const copies: Uint8Array[] = [];
    for (const hash of hashes) {
      checkHash(hash, `compact range hash ${copies.length}`);
      copies.push(new Uint8Array(hash));
    }
    const range = new CompactRange();
    range.#size = size;
    range.#hashes = copies;
    return range;
  }

  /**
   * Appends one leaf hash (RFC 6962 §2.1 leaf hash, 32 bytes) and returns the perfect nodes this
   * append completed, lowest first: the leaf itself at level 0, then one node at each level L >= 1
   * where the new size is divisible by 2^L.
   */
  append(leafHash: Uint8Array): PerfectNode[] {
    const completed: PerfectNode[] = [];
    this.#add(leafHash, completed);
    return completed;
  }

  /** Appends one leaf hash exactly as `append` does, without reporting the completed nodes. */
  push(leafHash: Uint8Array): void {
    this.#add(leafHash, undefined);
  }

  #add(leafHash: Uint8Array, completed: PerfectNode[] | undefined): void {
    checkHash(leafHash, 'leaf hash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new CustosError('PROOF_SIZE_INVALID', 'range is full');
    const held = this.#hashes;
    let hash = leafHash;
    let index = this.#size; // index of the new node at the current level
    let level = 0;
    completed?.push({ level, index, hash });
    // Binary increment: an odd index is a right child whose left sibling is the last held hash.
    while (index % 2 === 1) {
      hash = nodeHash(held.pop()!, hash);
      index = (index - 1) / 2;
      level++;
      completed?.push({ level, index, hash });
    }
    held.push(hash);
    this.#size++;
  }

  /** MTH(D[0:size]) (RFC 9162 §2.1.1); EMPTY_ROOT for size 0. A fresh array. */
  root(): Uint8Array {
    const held = this.#hashes;
    let at = held.length - 1;
    if (at < 0) return new Uint8Array(EMPTY_ROOT);
    let acc = held[at]!;
    if (at === 0) return new Uint8Array(acc);
    while (--at >= 0) acc = nodeHash(held[at]!, acc);
    return acc;
  }

  /** Copies of the perfect subtree hashes of decompose(0, size), left to right. */
  hashes(): Uint8Array[] {
    return this.#hashes.map((hash) => new Uint8Array(hash));
  }

  /** An independent copy (hash arrays are never mutated, so they are shared). */
  clone(): CompactRange {
    const copy = new CompactRange();
    copy.#size = this.#size;
    copy.#hashes = this.#hashes.slice();
    return copy;
  }
}
