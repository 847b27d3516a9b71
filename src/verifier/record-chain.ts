/**
 * The streaming heart of verification, shared by the offline verifier and `custos ledger verify`:
 * takes record bytes in log order and checks, for each position p,
 *   1. strict UTF-8, valid JSON, RFC 8785 canonical form      -> RECORD_MALFORMED / RECORD_NONCANONICAL (index p)
 *   2. a valid v1 envelope                                     -> RECORD_MALFORMED (index p)
 *   3. its index field is p: a larger index means a record is missing at p (index p); a smaller one
 *      means a record was inserted before p (index = the duplicated index)   -> RECORD_INDEX_MISMATCH
 *   4. its `prev` equals the leaf hash of record p-1; if not, record p-1 is not the record p was
 *      appended after, i.e. p-1 was altered                      -> RECORD_CHAIN_BROKEN (index p-1)
 *   5. every ref names an earlier record by its true leaf hash -> RECORD_REF_INVALID (index p)
 * and folds the leaf hash into the Merkle accumulator. All input is attacker-controlled.
 *
 * Steps 1-2 and the leaf hash depend on a record's bytes alone, so the parallel verifier
 * (parallel.ts) runs them in worker threads (`decodeRecord`, `leafHash`) and hands the chain what
 * they found (`absorb`). `absorb` never reports an error itself: when anything is wrong it changes
 * nothing and returns false, and the caller then calls `push` with the same bytes, which throws the
 * error this reference path throws — so both verifiers report the same code, index and message.
 */
import { CustosError } from '../core/errors.js';
import { parseCanonical } from '../core/canonical-json.js';
import { decodeBase64Strict, fromUtf8 } from '../core/bytes.js';
import { CompactRange, leafHash } from '../ledger/merkle/index.js';
import { validateRecord, type LedgerRecord } from '../ledger/record.js';

/** `prevState` values of DecodedRecords. */
export const PREV_ABSENT = 0;
/** `prev` (or a ref's leafHash) is canonical base64 of 32 bytes, held in `prevs` (or `refHash`). */
export const PREV_DECODED = 1;
/** Present but not canonical base64 of 32 bytes: it cannot equal any leaf hash. */
export const PREV_UNDECODABLE = 2;

/**
 * What steps 1-2 found in a run of records (record j of the run), laid out in typed arrays so a
 * worker can hand them over without copying: the envelope's index, its `prev` and refs decoded,
 * and the leaf hash of the record's bytes.
 */
export interface DecodedRecords {
  /** 32 bytes (8 words) per record: SHA-256(0x00 || bytes). */
  readonly leaves32: Int32Array;
  /** 32 bytes (8 words) per record: `prev` decoded, when prevState[j] is PREV_DECODED. */
  readonly prevs32: Int32Array;
  readonly prevState: Uint8Array;
  readonly index: Float64Array;
  /** Record j's refs are refs [refEnd[j-1] (0 for j = 0), refEnd[j]). */
  readonly refEnd: Uint32Array;
  readonly refIndex: Float64Array;
  /** 32 bytes (8 words) per ref: its leafHash decoded, when refState is PREV_DECODED. */
  readonly refHash32: Int32Array;
  readonly refState: Uint8Array;
}

/** Thrown by decodeRecord: the code and message RecordChain reports (after `record p: `). */
export class RecordDecodeError extends Error {
  constructor(
    readonly code: CustosError['code'],
    message: string,
    readonly inner?: CustosError,
  ) {
    super(message);
  }
}

/**
 * Steps 1 and 2 for one record's bytes, independent of its position: the validated envelope, or a
 * RecordDecodeError. Any other exception is a bug and propagates as it is.
 */
export function decodeRecord(bytes: Uint8Array): LedgerRecord {
  const text = fromUtf8(bytes);
  if (text === undefined) throw new RecordDecodeError('RECORD_MALFORMED', 'not UTF-8');
  try {
    return validateRecord(parseCanonical(text));
  } catch (e) {
    if (e instanceof CustosError) throw new RecordDecodeError(e.code, e.message, e);
    throw e;
  }
}

export class RecordChain {
  readonly range: CompactRange;
  private readonly from: number;
  // Leaf hashes of every record seen, for checking refs (32 bytes each), and plain views of them
  // (one ArrayBuffer of their own, so the 32-bit view is aligned).
  private leaves: Buffer;
  private leafView: Uint8Array;
  private leaf32: Int32Array;

  /**
   * `from` > 0 when records below it were pruned; `prefix` is then the compact range of [0, from).
   * `expected`: how many records are likely to follow (a hint, to size the leaf store once).
   */
  constructor(from = 0, prefix: readonly Uint8Array[] = [], expected = 1024) {
    this.from = from;
    this.range = CompactRange.from(from, prefix);
    const records = Number.isSafeInteger(expected) ? Math.min(Math.max(expected, 1024), 2 ** 22) : 1024;
    const buffer = new ArrayBuffer(32 * records);
    this.leaves = Buffer.from(buffer);
    this.leafView = new Uint8Array(buffer);
    this.leaf32 = new Int32Array(buffer);
  }

  get size(): number {
    return this.range.size;
  }

  /** Checks and absorbs the record at position `size`; returns its leaf hash and parsed record. */
  push(bytes: Uint8Array): { leafHash: Uint8Array; record: LedgerRecord } {
    const p = this.range.size;
    const record = this.parse(bytes, p);
    if (record.index !== p) {
      const index = record.index < p ? record.index : p;
      throw at('RECORD_INDEX_MISMATCH', index, `position ${p} holds record ${record.index}`);
    }
    if (p > this.from) {
      // The previous leaf hash is the last one remembered: encode it from there, without a copy.
      const offset = (p - 1 - this.from) * 32;
      if (record.prev !== this.leaves.toString('base64', offset, offset + 32)) {
        throw at('RECORD_CHAIN_BROKEN', p - 1, `record ${p - 1} is not the record that record ${p} follows`);
      }
    }
    for (const ref of record.refs) this.checkRef(ref.index, ref.leafHash, p);
    const leaf = leafHash(bytes);
    this.range.push(leaf);
    this.remember(p, leaf);
    return { leafHash: leaf, record };
  }

  /**
   * Steps 3-5 and the fold for record j of `d`, whose steps 1-2 and leaf hash were computed from
   * its bytes elsewhere: absorbs it at position `size` and returns true when every check passes
   * (exactly when push() would accept those bytes); otherwise changes nothing and returns false, and
   * push() with the same bytes throws the error. A base64 text equals the encoding of a hash exactly
   * when it decodes strictly (canonically) to those 32 bytes, so decoded bytes are compared here.
   */
  absorb(d: DecodedRecords, j: number): boolean {
    const p = this.range.size;
    if (d.index[j] !== p) return false;
    if (p > this.from) {
      if (
        d.prevState[j] !== PREV_DECODED ||
        !equal8(d.prevs32, 8 * j, this.leaf32, 8 * (p - 1 - this.from))
      ) {
        return false;
      }
    }
    for (let k = j === 0 ? 0 : d.refEnd[j - 1]!, end = d.refEnd[j]!; k < end; k++) {
      const index = d.refIndex[k]!;
      if (index < this.from) continue; // pruned from this export: not checkable here
      if (
        d.refState[k] !== PREV_DECODED ||
        !equal8(d.refHash32, 8 * k, this.leaf32, 8 * (index - this.from))
      ) {
        return false;
      }
    }
    const at = 8 * (p - this.from);
    if (at + 8 > this.leaf32.length) this.resize(2 * this.leaves.length);
    const target = this.leaf32;
    const source = d.leaves32;
    for (let i = 0, s = 8 * j; i < 8; i++) target[at + i] = source[s + i]!;
    // Held by the range: never mutated (a grown store is a copy; this view keeps the old one).
    this.range.push(this.leafView.subarray(4 * at, 4 * at + 32));
    return true;
  }

  private parse(bytes: Uint8Array, p: number): LedgerRecord {
    try {
      return decodeRecord(bytes);
    } catch (e) {
      if (e instanceof RecordDecodeError) throw at(e.code, p, e.message, e.inner);
      throw e;
    }
  }

  private remember(p: number, leaf: Uint8Array): void {
    const offset = (p - this.from) * 32;
    if (offset + 32 > this.leaves.length) this.resize(2 * this.leaves.length);
    this.leaves.set(leaf, offset);
  }

  /** Replaces the leaf store with one of `bytes` bytes holding the same leaves. */
  private resize(bytes: number): void {
    const buffer = new ArrayBuffer(bytes);
    const bigger = Buffer.from(buffer);
    this.leaves.copy(bigger);
    this.leaves = bigger;
    this.leafView = new Uint8Array(buffer);
    this.leaf32 = new Int32Array(buffer);
  }

  private checkRef(index: number, leafHashB64: string, p: number): void {
    if (index < this.from) return; // pruned from this export: not checkable here
    const given = decodeBase64Strict(leafHashB64);
    const stored = this.leaves.subarray((index - this.from) * 32, (index - this.from) * 32 + 32);
    if (given === undefined || !stored.equals(given)) {
      throw at('RECORD_REF_INVALID', p, `record ${p} refers to record ${index} with a wrong leaf hash`);
    }
  }
}

/** Whether 8 words (a hash) of `a` at `ai` equal 8 of `b` at `bi`. */
function equal8(a: Int32Array, ai: number, b: Int32Array, bi: number): boolean {
  for (let i = 0; i < 8; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}

function at(code: CustosError['code'], index: number, message: string, cause?: unknown): CustosError {
  return new CustosError(code, `record ${index}: ${message}`, { details: { index }, cause });
}
