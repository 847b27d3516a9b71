/**
 * The worker side of the parallel verifier (parallel.ts, verify-worker.ts): for every line of one
 * chunk of records.jsonl, the position-independent checks — strict UTF-8, canonical JSON, a valid
 * envelope (RecordChain's decodeRecord) — and the leaf hash, written into typed arrays that travel
 * back to the main thread without copying. The main thread then checks index, prev and refs and
 * folds the leaves, in order (RecordChain.absorb).
 *
 * A line this side cannot vouch for is marked DEFERRED and the main thread runs the reference
 * RecordChain.push on its bytes: a line decodeRecord rejects (so push throws exactly the sequential
 * verifier's error), and a line nested so deeply that its verdict could depend on the thread's stack
 * size (the main thread's differs from a worker's). Pure: node:crypto through the hasher only.
 */
import { hash } from 'node:crypto';
import { decodeBase64Strict } from '../core/bytes.js';
import { leafHash } from '../ledger/merkle/index.js';
import {
  decodeRecord,
  PREV_ABSENT,
  PREV_DECODED,
  PREV_UNDECODABLE,
  type DecodedRecords,
} from './record-chain.js';
import type { LedgerRecord } from '../ledger/record.js';

/** prevState of a line the main thread must check itself, with RecordChain.push. */
export const DEFERRED = 3;

/**
 * Lines up to this long cannot nest deeper than this; longer ones are deferred when they hold more
 * opening brackets. parseCanonical handles thousands of levels on any thread (it overflows the main
 * thread's stack somewhere between 5,000 and 8,000), so below this the verdict never depends on it.
 */
const MAX_SAFE_DEPTH = 1000;

/** Bytes per line in a results buffer: leaf 32, prev 32, index 8, line end 4, refs end 4, state 1. */
const LINE_BYTES = 81;
/** Bytes per ref in a refs buffer: leaf hash 32, index 8, state 1. */
const REF_BYTES = 41;

/** A chunk handed to a worker: whole lines, each ending with '\n'. */
export interface ChunkJob {
  readonly id: number;
  /** Transferred (an ArrayBuffer) or shared (a SharedArrayBuffer, never copied). */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
  /** Result buffers to reuse (transferred back and forth), possibly too small or empty. */
  readonly results: ArrayBuffer;
  readonly refs: ArrayBuffer;
}

/** A decoded chunk: `lines` lines, line j described by record j of ChunkResults(results, refs). */
export interface ChunkDone extends ChunkJob {
  readonly lines: number;
}

/** DecodedRecords over a results and a refs buffer, plus where each line ends. */
export class ChunkResults implements DecodedRecords {
  readonly capacity: number;
  readonly refCapacity: number;
  readonly leaves: Uint8Array;
  readonly leaves32: Int32Array;
  readonly prevs: Uint8Array;
  readonly prevs32: Int32Array;
  readonly index: Float64Array;
  /** Offset in the chunk of line j's '\n' (line j starts after line j-1's, line 0 at 0). */
  readonly ends: Uint32Array;
  readonly refEnd: Uint32Array;
  readonly prevState: Uint8Array;
  readonly refHash: Uint8Array;
  readonly refHash32: Int32Array;
  readonly refIndex: Float64Array;
  readonly refState: Uint8Array;

  constructor(
    readonly results: ArrayBuffer,
    readonly refs: ArrayBuffer,
  ) {
    const n = Math.floor(results.byteLength / LINE_BYTES);
    this.capacity = n;
    this.leaves = new Uint8Array(results, 0, 32 * n);
    this.leaves32 = new Int32Array(results, 0, 8 * n);
    this.prevs = new Uint8Array(results, 32 * n, 32 * n);
    this.prevs32 = new Int32Array(results, 32 * n, 8 * n);
    this.index = new Float64Array(results, 64 * n, n);
    this.ends = new Uint32Array(results, 72 * n, n);
    this.refEnd = new Uint32Array(results, 76 * n, n);
    this.prevState = new Uint8Array(results, 80 * n, n);
    const m = Math.floor(refs.byteLength / REF_BYTES);
    this.refCapacity = m;
    this.refHash = new Uint8Array(refs, 0, 32 * m);
    this.refHash32 = new Int32Array(refs, 0, 8 * m);
    this.refIndex = new Float64Array(refs, 32 * m, m);
    this.refState = new Uint8Array(refs, 40 * m, m);
  }

  /** A copy with room for `lines` lines and `refs` refs, keeping the first `used` lines and `usedRefs` refs. */
  grow(lines: number, used: number, refs: number, usedRefs: number): ChunkResults {
    const bigger = new ChunkResults(
      lines > this.capacity ? new ArrayBuffer(lines * LINE_BYTES) : this.results,
      refs > this.refCapacity ? new ArrayBuffer(refs * REF_BYTES) : this.refs,
    );
    if (bigger.results !== this.results) {
      bigger.leaves.set(this.leaves.subarray(0, 32 * used));
      bigger.prevs.set(this.prevs.subarray(0, 32 * used));
      bigger.index.set(this.index.subarray(0, used));
      bigger.ends.set(this.ends.subarray(0, used));
      bigger.refEnd.set(this.refEnd.subarray(0, used));
      bigger.prevState.set(this.prevState.subarray(0, used));
    }
    if (bigger.refs !== this.refs) {
      bigger.refHash.set(this.refHash.subarray(0, 32 * usedRefs));
      bigger.refIndex.set(this.refIndex.subarray(0, usedRefs));
      bigger.refState.set(this.refState.subarray(0, usedRefs));
    }
    return bigger;
  }
}

/** The worker's job: decodes every line of the chunk into its results buffers. */
export function decodeChunk(job: ChunkJob): ChunkDone {
  const bytes = new Uint8Array(job.buffer, job.offset, job.length);
  const scan = Buffer.from(job.buffer, job.offset, job.length);
  let r = new ChunkResults(job.results, job.refs);
  let refs = 0;
  let j = 0;
  let start = 0;
  for (let end = scan.indexOf(0x0a); end >= 0; end = scan.indexOf(0x0a, start)) {
    if (j === r.capacity) r = r.grow(Math.max(64, 2 * j, Math.ceil(job.length / 256)), j, 0, refs);
    const line = bytes.subarray(start, end);
    r.ends[j] = end;
    start = end + 1;
    const record = tryDecode(line);
    if (record === undefined) {
      r.prevState[j] = DEFERRED;
    } else {
      r.index[j] = record.index;
      leafHashInto(line, r.leaves, 32 * j);
      r.prevState[j] = decodeHashInto(record.prev, r.prevs, 32 * j);
      const recordRefs = record.refs;
      if (recordRefs.length > 0) {
        if (refs + recordRefs.length > r.refCapacity) {
          r = r.grow(0, j, Math.max(64, 2 * (refs + recordRefs.length)), refs);
        }
        for (const ref of recordRefs) {
          r.refIndex[refs] = ref.index;
          r.refState[refs] = decodeHashInto(ref.leafHash, r.refHash, 32 * refs);
          refs++;
        }
      }
    }
    r.refEnd[j++] = refs;
  }
  return { ...job, results: r.results, refs: r.refs, lines: j };
}

/** The validated record, or undefined when the main thread must decide (see DEFERRED). */
function tryDecode(line: Uint8Array): LedgerRecord | undefined {
  if (line.length > MAX_SAFE_DEPTH && tooDeep(line)) return undefined;
  try {
    return decodeRecord(line);
  } catch {
    return undefined;
  }
}

/** True when the line holds more than MAX_SAFE_DEPTH opening brackets (an upper bound on depth). */
function tooDeep(line: Uint8Array): boolean {
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  let opening = 0;
  for (const bracket of [0x5b, 0x7b]) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) {
      if (++opening > MAX_SAFE_DEPTH) return true;
    }
  }
  return false;
}

let scratch = Buffer.alloc(1024);

/**
 * leafHash(line) (RFC 6962: SHA-256(0x00 || line)), written straight into `into` at `offset`:
 * hashed as merkle/hasher.ts hashes it (one-shot, digest as a 'binary' string), without the
 * intermediate array. Long lines go through leafHash itself.
 */
export function leafHashInto(line: Uint8Array, into: Uint8Array, offset: number): void {
  const n = line.length + 1;
  if (n > 16 * 1024) {
    into.set(leafHash(line), offset);
    return;
  }
  if (n > scratch.length) scratch = Buffer.alloc(Math.max(n, 2 * scratch.length));
  scratch[0] = 0x00;
  scratch.set(line, 1);
  const digest = hash('sha256', scratch.subarray(0, n), 'binary');
  for (let i = 0; i < 32; i++) into[offset + i] = digest.charCodeAt(i);
}

/** Sextet values of the standard base64 alphabet by UTF-16 code unit (-1: not in it). */
const SEXTET = new Int8Array(65536).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes a base64 hash (a record's prev or a ref's leafHash) into `into` at `offset`; its PREV_*
 * state, as decodeBase64Strict decides it: PREV_DECODED exactly when the text is the canonical
 * base64 of 32 bytes. The usual 44-character text is decoded here (decodeBase64Strict costs more
 * than all the other checks of a record but parsing); anything else goes to decodeBase64Strict.
 */
export function decodeHashInto(text: string | undefined, into: Uint8Array, offset: number): number {
  if (text === undefined) return PREV_ABSENT;
  if (text.length === 44 && text.charCodeAt(43) === 0x3d) {
    let at = offset;
    for (let i = 0; i < 40; i += 4) {
      const a = SEXTET[text.charCodeAt(i)]!;
      const b = SEXTET[text.charCodeAt(i + 1)]!;
      const c = SEXTET[text.charCodeAt(i + 2)]!;
      const d = SEXTET[text.charCodeAt(i + 3)]!;
      if ((a | b | c | d) < 0) return PREV_UNDECODABLE;
      const v = (a << 18) | (b << 12) | (c << 6) | d;
      into[at] = v >> 16;
      into[at + 1] = v >> 8;
      into[at + 2] = v;
      at += 3;
    }
    // 3 sextets and '=': 2 bytes and 2 bits, which canonical base64 leaves zero.
    const a = SEXTET[text.charCodeAt(40)]!;
    const b = SEXTET[text.charCodeAt(41)]!;
    const c = SEXTET[text.charCodeAt(42)]!;
    if ((a | b | c) < 0) return PREV_UNDECODABLE;
    const v = (a << 12) | (b << 6) | c;
    into[at] = v >> 10;
    into[at + 1] = v >> 2;
    return (v & 3) === 0 ? PREV_DECODED : PREV_UNDECODABLE;
  }
  const bytes = decodeBase64Strict(text);
  if (bytes?.length !== 32) return PREV_UNDECODABLE;
  into.set(bytes, offset);
  return PREV_DECODED;
}
