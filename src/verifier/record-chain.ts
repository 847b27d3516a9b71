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
 */
import { CustosError } from '../core/errors.js';
import { parseCanonical } from '../core/canonical-json.js';
import { decodeBase64Strict, fromUtf8 } from '../core/bytes.js';
import { CompactRange, leafHash } from '../ledger/merkle/index.js';
import { validateRecord, type LedgerRecord } from '../ledger/record.js';

export class RecordChain {
  readonly range: CompactRange;
  private readonly from: number;
  // Leaf hashes of every record seen, for checking refs (32 bytes each).
  private leaves: Buffer;

  /** `from` > 0 when records below it were pruned; `prefix` is then the compact range of [0, from). */
  constructor(from = 0, prefix: readonly Uint8Array[] = []) {
    this.from = from;
    this.range = CompactRange.from(from, prefix);
    this.leaves = Buffer.alloc(32 * 1024);
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

  private parse(bytes: Uint8Array, p: number): LedgerRecord {
    const text = fromUtf8(bytes);
    if (text === undefined) throw at('RECORD_MALFORMED', p, 'not UTF-8');
    try {
      return validateRecord(parseCanonical(text));
    } catch (e) {
      if (e instanceof CustosError) throw at(e.code, p, e.message, e);
      throw e;
    }
  }

  private remember(p: number, leaf: Uint8Array): void {
    const offset = (p - this.from) * 32;
    if (offset + 32 > this.leaves.length) {
      const bigger = Buffer.alloc(this.leaves.length * 2);
      this.leaves.copy(bigger);
      this.leaves = bigger;
    }
    this.leaves.set(leaf, offset);
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

function at(code: CustosError['code'], index: number, message: string, cause?: unknown): CustosError {
  return new CustosError(code, `record ${index}: ${message}`, { details: { index }, cause });
}
