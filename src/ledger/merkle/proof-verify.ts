/**
 * Verification of RFC 9162 Merkle proofs: inclusion (§2.1.3.2) and consistency (§2.1.4.2).
 *
 * Everything passed in here is attacker-controlled: indexes, sizes, leaf hashes, proofs and roots
 * typically come from a proof bundle or a remote log. Every failure is a CustosError:
 *   PROOF_INDEX_OUT_OF_RANGE  leaf index not a safe integer in [0, size)
 *   PROOF_SIZE_INVALID        size not a safe non-negative integer; size1 > size2; size1 == 0
 *   PROOF_MALFORMED           proof not an array, or a hash not a Uint8Array
 *   HASH_LENGTH_INVALID       any hash (leaf, root, proof element) not exactly 32 bytes
 *   PROOF_LENGTH_INVALID      wrong number of proof elements for (index, size) or (size1, size2)
 *   PROOF_ROOT_MISMATCH       the recomputed root differs from the expected one
 *
 * Deliberate choice: hashes must be exactly 32 bytes everywhere, even when size1 == size2 and the
 * roots are only compared for equality (transparency-dev accepts any equal byte strings there).
 *
 * The algorithms follow the RFC text step by step, with "right-shift" written as division by two:
 * sizes may exceed 2^32, so no 32-bit bitwise operator is used.
 */
import { bytesEqual } from '../../core/bytes.js';
import { CustosError } from '../../core/errors.js';
import { HASH_SIZE, nodeHash } from './hasher.js';
import { highestPowerOfTwoAtMost } from './node-id.js';
import {
  checkConsistencyArgs,
  checkInclusionArgs,
  consistencyProofLength,
  inclusionProofLength,
} from './tree-math.js';

function checkHash(hash: unknown, what: string): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array)) throw new CustosError('PROOF_MALFORMED', `${what} is not a byte array`);
  if (hash.length !== HASH_SIZE) {
    throw new CustosError('HASH_LENGTH_INVALID', `${what} is not ${HASH_SIZE} bytes`, {
      details: { length: hash.length },
    });
  }
}

function checkProof(proof: unknown, expected: number): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw new CustosError('PROOF_MALFORMED', 'proof is not an array');
  const elements: readonly unknown[] = proof;
  for (let i = 0; i < elements.length; i++) checkHash(elements[i], `proof element ${i}`);
  if (elements.length !== expected) {
    throw new CustosError('PROOF_LENGTH_INVALID', 'proof has the wrong number of hashes', {
      details: { expected, actual: elements.length },
    });
  }
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/**
 * Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4) after validating all
 * inputs. The caller compares the result with a trusted root; see verifyInclusion.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkInclusionArgs(index, size);
  checkHash(leafHash, 'leaf hash');
  checkProof(proof, inclusionProofLength(index, size));
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new CustosError('PROOF_LENGTH_INVALID', 'inclusion proof is too long');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new CustosError('PROOF_LENGTH_INVALID', 'inclusion proof is too short');
  return r;
}

/** Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkInclusionArgs(index, size);
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!bytesEqual(computed, root)) {
    throw new CustosError('PROOF_ROOT_MISMATCH', 'inclusion proof does not lead to the root', {
      details: { index, size },
    });
  }
}

/**
 * Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
 * with root `root1` (RFC 9162 §2.1.4.2). size1 == size2 needs an empty proof and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkConsistencyArgs(size1, size2);
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');
  checkProof(proof, size1 === size2 ? 0 : consistencyProofLength(size1, size2));
  if (size1 === size2) {
    if (!bytesEqual(root1, root2))
      throw new CustosError('PROOF_ROOT_MISMATCH', 'equal sizes, different roots');
    return;
  }
  // Step 2: if size1 is an exact power of two, the old root itself starts the path.
  const prepend = highestPowerOfTwoAtMost(size1) === size1;
  const path = (i: number): Uint8Array => (prepend ? (i === 0 ? root1 : proof[i - 1]!) : proof[i]!);
  const pathLength = proof.length + (prepend ? 1 : 0);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path(0);
  let sr = fr;
  for (let i = 1; i < pathLength; i++) {
    const c = path(i);
    if (sn === 0) throw new CustosError('PROOF_LENGTH_INVALID', 'consistency proof is too long');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new CustosError('PROOF_LENGTH_INVALID', 'consistency proof is too short');
  if (!bytesEqual(fr, root1)) {
    throw new CustosError('PROOF_ROOT_MISMATCH', 'consistency proof does not lead to root1', {
      details: { size1, size2 },
    });
  }
  if (!bytesEqual(sr, root2)) {
    throw new CustosError('PROOF_ROOT_MISMATCH', 'consistency proof does not lead to root2', {
      details: { size1, size2 },
    });
  }
}
