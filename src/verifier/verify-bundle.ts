/**
 * Offline verification of an export bundle: recompute every leaf and root, check every signature.
 * Depends only on node:crypto (through the pure ledger layers). A short orchestrator, one step each:
 * trust -> checkpoints -> records (chain + roots, or inclusion proofs) -> consistency proofs.
 */
import { CustosError } from '../core/errors.js';
import { decodeBase64Strict } from '../core/bytes.js';
import { verifyConsistency, verifyInclusion } from '../ledger/merkle/index.js';
import { parseVerifierKey } from '../ledger/note/index.js';
import { checkManifest, type ExportBundle } from './bundle.js';
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

export function verifyBundle(
  bundle: ExportBundle,
  trusted?: TrustedKeys,
  onProgress?: Progress,
): VerifyReport {
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
  const chain = new RecordChain(manifest.from, decodePrefix(manifest.prefix));
  const count =
    manifest.kind === 'full'
      ? verifyFull(bundle.records, chain, manifest.to, all, onProgress)
      : verifyRange(bundle, chain, manifest.to, main, onProgress);
  return {
    origin: manifest.origin,
    kind: manifest.kind,
    treeSize: manifest.treeSize,
    from: manifest.from,
    to: manifest.to,
    records: count,
    checkpoints: all.length,
    cosigners: main.cosigners.map((c) => c.name),
    trustedFromBundle: trusted === undefined,
  };
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
    if (end < 0) throw new CustosError('EXPORT_MALFORMED', 'records.jsonl does not end with a newline');
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
  let verifiedUpTo = chain.size;
  let next = 0;
  while (checkpoints[next] !== undefined && checkpoints[next]!.size < chain.size) next++;
  const checkRoots = (): void => {
    while (checkpoints[next] !== undefined && checkpoints[next]!.size === chain.size) {
      const cp = checkpoints[next++]!;
      if (!Buffer.from(chain.range.root()).equals(cp.rootHash)) {
        throw new CustosError(
          'CHECKPOINT_ROOT_MISMATCH',
          `records do not produce the root signed at size ${cp.size}`,
          {
            details: { index: verifiedUpTo, size: cp.size },
          },
        );
      }
      verifiedUpTo = cp.size;
    }
  };
  checkRoots();
  let done = 0;
  for (const line of lines(records)) {
    if (chain.size >= to) {
      throw new CustosError('CHECKPOINT_SIZE_MISMATCH', `records beyond the signed tree size ${to}`, {
        details: { index: chain.size },
      });
    }
    chain.push(line);
    checkRoots();
    if (++done % 65536 === 0) onProgress?.(done, total);
  }
  if (chain.size < to) {
    throw new CustosError('RECORD_MISSING', `record ${chain.size} is missing`, {
      details: { index: chain.size },
    });
  }
  onProgress?.(done, total);
  return done;
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
  if (chain.size < to) {
    throw new CustosError('RECORD_MISSING', `record ${chain.size} is missing`, {
      details: { index: chain.size },
    });
  }
  onProgress?.(done, total);
  return done;
}

function checkConsistencyProofs(bundle: ExportBundle, checkpoints: readonly CheckedCheckpoint[]): void {
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
