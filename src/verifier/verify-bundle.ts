/**
 * Offline verification of an export bundle: recompute every leaf and root, check every signature.
 * Depends only on node:crypto (through the pure ledger layers). A short orchestrator, one step each:
 * trust -> checkpoints -> consistency proofs -> records (chain + roots, or inclusion proofs).
 * This is the reference verifier; parallel.ts spreads the per-record work of full exports over
 * worker threads and reports exactly what this one reports.
 */
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict } from '../core/bytes.js';
import { verifyConsistency, verifyInclusion } from '../ledger/merkle/index.js';
import { parseVerifierKey } from '../ledger/note/index.js';
import { checkManifest, type ExportBundle, type ExportManifest } from './bundle.js';
import { checkCheckpoint, type CheckedCheckpoint, type TrustPolicy } from './checkpoint-check.js';
import { RecordChain } from './record-chain.js';
import { parseTlogProof } from './tlog-proof.js';

export interface TrustedKeys {
  /** The log's verifier key (C2SP vkey text), obtained independently of the bundle. */
  readonly log: string;
  readonly witnesses?: readonly string[];
}

export interface VerifyReport {
  readonly origin: string;
  readonly kind: 'full' | 'range';
  readonly treeSize: number;
  readonly from: number;
  readonly to: number;
  readonly records: number;
  readonly checkpoints: number;
  readonly cosigners: readonly string[];
  /** True when no trusted keys were given and the bundle's own keys were used. */
  readonly trustedFromBundle: boolean;
}

export type Progress = (done: number, total: number) => void;

/** Full exports report progress every this many records (and once at the end). */
export const PROGRESS_EVERY = 65536;

export function verifyBundle(
  bundle: ExportBundle,
  trusted?: TrustedKeys,
  onProgress?: Progress,
): VerifyReport {
  const opened = openBundle(bundle, trusted);
  const { manifest, chain } = opened;
  const count =
    manifest.kind === 'full'
      ? verifyFull(bundle.records, chain, manifest.to, opened.checkpoints, onProgress)
      : verifyRange(bundle, chain, manifest.to, opened.main, onProgress);
  return reportOf(opened, count);
}

/** What the checks before the records establish (shared with the parallel verifier). */
export interface OpenedBundle {
  readonly manifest: ExportManifest;
  /** The export's own checkpoint (the signed tree of treeSize). */
  readonly main: CheckedCheckpoint;
  /** The carried checkpoints, by size, ending with `main`. */
  readonly checkpoints: readonly CheckedCheckpoint[];
  /** Positioned at `from`, ready for the records. */
  readonly chain: RecordChain;
  readonly trustedFromBundle: boolean;
}

/** The parts of a bundle checked before its records. */
export type BundleHead = Pick<
  ExportBundle,
  'manifest' | 'checkpoint' | 'olderCheckpoints' | 'consistency' | 'keys'
>;

/**
 * Trust, checkpoints and consistency proofs, in this order: everything verifyBundle checks before
 * the records. `expectedRecords` only sizes the chain's leaf store.
 */
export function openBundle(
  bundle: BundleHead,
  trusted?: TrustedKeys,
  expectedRecords?: number,
): OpenedBundle {
  const manifest = checkManifest(bundle.manifest);
  const keys = trusted ?? bundle.keys;
  const trust: TrustPolicy = {
    log: parseVerifierKey(keys.log),
    witnesses: (keys.witnesses ?? []).map((k) => parseVerifierKey(k)),
  };
  const main = checkCheckpoint(bundle.checkpoint, trust);
  if (main.origin !== manifest.origin) {
    throw new CustosError('CHECKPOINT_ORIGIN_MISMATCH', 'the checkpoint origin is not the export origin');
  }
  if (main.size !== manifest.treeSize) {
    throw new CustosError(
      'CHECKPOINT_SIZE_MISMATCH',
      `checkpoint size ${main.size} is not the export tree size`,
      {
        details: { size: main.size, treeSize: manifest.treeSize },
      },
    );
  }
  const older = bundle.olderCheckpoints
    .map((c) => checkCheckpoint(c.note, trust))
    .sort((a, b) => a.size - b.size);
  const all = [...older.filter((c) => c.size < main.size), main];
  checkConsistencyProofs(bundle, all);
  const chain = new RecordChain(manifest.from, decodePrefix(manifest.prefix), expectedRecords);
  return { manifest, main, checkpoints: all, chain, trustedFromBundle: trusted === undefined };
}

/** The report of a verified bundle that held `count` records. */
export function reportOf(opened: OpenedBundle, count: number): VerifyReport {
  const { manifest } = opened;
  return {
    origin: manifest.origin,
    kind: manifest.kind,
    treeSize: manifest.treeSize,
    from: manifest.from,
    to: manifest.to,
    records: count,
    checkpoints: opened.checkpoints.length,
    cosigners: opened.main.cosigners.map((c) => c.name),
    trustedFromBundle: opened.trustedFromBundle,
  };
}

/**
 * Checks each carried checkpoint's root when the chain reaches its size (call `check()` once before
 * the first record and after each one): CHECKPOINT_ROOT_MISMATCH, index = the first record not
 * covered by an earlier verified checkpoint.
 */
export class CheckpointRoots {
  private next = 0;
  private verifiedUpTo: number;
  /** The size of the next checkpoint to check (Infinity when none is left). */
  private nextSize: number;

  constructor(
    private readonly chain: RecordChain,
    private readonly checkpoints: readonly CheckedCheckpoint[],
  ) {
    this.verifiedUpTo = chain.size;
    while (checkpoints[this.next] !== undefined && checkpoints[this.next]!.size < chain.size) this.next++;
    this.nextSize = checkpoints[this.next]?.size ?? Infinity;
  }

  check(): void {
    if (this.chain.size !== this.nextSize) return;
    const checkpoints = this.checkpoints;
    while (checkpoints[this.next] !== undefined && checkpoints[this.next]!.size === this.chain.size) {
      const cp = checkpoints[this.next++]!;
      if (!Buffer.from(this.chain.range.root()).equals(cp.rootHash)) {
        throw new CustosError(
          'CHECKPOINT_ROOT_MISMATCH',
          `records do not produce the root signed at size ${cp.size}`,
          {
            details: { index: this.verifiedUpTo, size: cp.size },
          },
        );
      }
      this.verifiedUpTo = cp.size;
    }
    this.nextSize = checkpoints[this.next]?.size ?? Infinity;
  }
}

function decodePrefix(prefix: readonly string[]): Uint8Array[] {
  return prefix.map((h) => {
    const bytes = decodeBase64Strict(h);
    if (bytes?.length !== 32)
      throw new CustosError('HASH_LENGTH_INVALID', 'manifest prefix hash is not 32 bytes');
    return bytes;
  });
}

/** Yields each line of records.jsonl (without its newline); every line must end with '\n'. */
function* lines(records: Uint8Array): Generator<Uint8Array> {
  let start = 0;
  while (start < records.length) {
    const end = records.indexOf(0x0a, start);
    if (end < 0) throw noFinalNewline();
    yield records.subarray(start, end);
    start = end + 1;
  }
}

function verifyFull(
  records: Uint8Array,
  chain: RecordChain,
  to: number,
  checkpoints: readonly CheckedCheckpoint[],
  onProgress?: Progress,
): number {
  const total = to - chain.size;
  const roots = new CheckpointRoots(chain, checkpoints);
  roots.check();
  let done = 0;
  for (const line of lines(records)) {
    if (chain.size >= to) throw beyondSignedSize(chain.size, to);
    chain.push(line);
    roots.check();
    if (++done % PROGRESS_EVERY === 0) onProgress?.(done, total);
  }
  if (chain.size < to) throw recordMissing(chain.size);
  onProgress?.(done, total);
  return done;
}

export function beyondSignedSize(index: number, to: number): CustosError {
  return new CustosError('CHECKPOINT_SIZE_MISMATCH', `records beyond the signed tree size ${to}`, {
    details: { index },
  });
}

export function recordMissing(index: number): CustosError {
  return new CustosError('RECORD_MISSING', `record ${index} is missing`, { details: { index } });
}

export function noFinalNewline(): CustosError {
  return new CustosError('EXPORT_MALFORMED', 'records.jsonl does not end with a newline');
}

function verifyRange(
  bundle: ExportBundle,
  chain: RecordChain,
  to: number,
  main: CheckedCheckpoint,
  onProgress?: Progress,
): number {
  const total = to - chain.size;
  let done = 0;
  for (const line of lines(bundle.records)) {
    const index = chain.size;
    if (index >= to)
      throw new CustosError('EXPORT_MALFORMED', 'more records than the range', { details: { index } });
    const { leafHash } = chain.push(line);
    const text = bundle.proofs.get(index);
    if (text === undefined) {
      throw new CustosError('PROOF_MALFORMED', `no inclusion proof for record ${index}`, {
        details: { index },
      });
    }
    const proof = parseTlogProof(text);
    if (proof.index !== index || proof.checkpoint !== main.note) {
      throw new CustosError(
        'PROOF_MALFORMED',
        `inclusion proof ${index} is for another index or checkpoint`,
        {
          details: { index },
        },
      );
    }
    try {
      verifyInclusion(index, main.size, leafHash, proof.proof, main.rootHash);
    } catch (e) {
      if (e instanceof CustosError)
        throw new CustosError(e.code, `record ${index}: ${e.message}`, { details: { index } });
      throw e;
    }
    if (++done % 4096 === 0) onProgress?.(done, total);
  }
  if (chain.size < to) throw recordMissing(chain.size);
  onProgress?.(done, total);
  return done;
}

function checkConsistencyProofs(bundle: BundleHead, checkpoints: readonly CheckedCheckpoint[]): void {
  for (let i = 1; i < checkpoints.length; i++) {
    const a = checkpoints[i - 1]!;
    const b = checkpoints[i]!;
    const proof = bundle.consistency.get(`${a.size}-${b.size}`);
    if (proof === undefined) {
      throw new CustosError(
        'PROOF_MALFORMED',
        `no consistency proof between checkpoints ${a.size} and ${b.size}`,
      );
    }
    try {
      verifyConsistency(a.size, b.size, proof, a.rootHash, b.rootHash);
    } catch (cause) {
      throw new CustosError(
        'CHECKPOINT_INCONSISTENT',
        `checkpoints ${a.size} and ${b.size} are not consistent`,
        {
          cause,
          details: { size1: a.size, size2: b.size },
        },
      );
    }
  }
}
