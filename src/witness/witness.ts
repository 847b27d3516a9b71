/**
 * The witness core (c2sp.org/tlog-witness "add-checkpoint", without HTTP): it cosigns a log's checkpoint
 * only if the log's own key signed it and it is consistent with the latest checkpoint the witness cosigned
 * for that origin, and it records the new checkpoint durably before returning the cosignature.
 *
 * Trust on first use: for a log with no recorded state the witness accepts any checkpoint the log key
 * signed, with old size 0 and an empty proof. Equivocation is only detected from then on, so register a
 * log (addLog) and submit its first checkpoint before the log's history matters.
 *
 * Checks, in the spec's order, each a CustosError:
 *   NOTE_MALFORMED / CHECKPOINT_MALFORMED / INPUT_INVALID  malformed request (HTTP 400)
 *   WITNESS_UNKNOWN_LOG                                     no log key for the origin (404)
 *   NOTE_UNVERIFIED / NOTE_SIGNATURE_INVALID                not signed by the log key (403)
 *   INPUT_INVALID                                           old size > checkpoint size (400)
 *   WITNESS_CONFLICT, details.size = the witness's size     old size is not the witness's size (409)
 *   CHECKPOINT_INCONSISTENT, details.sameSize = true        same size, different root: a fork (409)
 *   CHECKPOINT_INCONSISTENT                                 the consistency proof fails (422)
 */
import { bytesEqual } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import { EMPTY_ROOT, verifyConsistency } from '../ledger/merkle/index.js';
import {
  cosign,
  formatSignatureLine,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
} from '../ledger/note/index.js';
import type { NoteSigner } from '../ledger/note/index.js';
import type { WitnessStore } from './witness-store.js';

/** c2sp.org/tlog-witness: a client MUST NOT send more than 63 consistency proof lines. */
export const MAX_PROOF_HASHES = 63;

export interface WitnessDeps {
  /** The witness's cosignature/v1 key; its name is the witness name. */
  readonly signer: NoteSigner;
  readonly store: WitnessStore;
  readonly now?: () => Date;
}

export interface AddCheckpointRequest {
  /** The size of the latest checkpoint the witness cosigned for this log (0 if none). */
  readonly oldSize: number;
  /** RFC 6962 consistency proof from oldSize to the checkpoint's size; empty when oldSize is 0. */
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note (attacker-controlled). */
  readonly checkpoint: string;
}

export class Witness {
  private readonly signer: NoteSigner;
  private readonly store: WitnessStore;
  private readonly now: () => Date;

  constructor(deps: WitnessDeps) {
    if (deps.signer.type !== 'cosignature/v1') throw new TypeError('a witness needs a cosignature/v1 key');
    this.signer = deps.signer;
    this.store = deps.store;
    this.now = deps.now ?? (() => new Date());
  }

  get name(): string {
    return this.signer.name;
  }

  /** The witness's cosignature/v1 verifier key, for the logs and verifiers that trust it. */
  get verifierKey(): string {
    return this.signer.verifierKey;
  }

  /** Trusts an Ed25519 log key for the origin that is its name; idempotent for the same key. */
  addLog(vkeyText: string): { origin: string; added: boolean } {
    const verifier = parseVerifierKey(vkeyText.trim());
    if (verifier.type !== 'ed25519') {
      throw new CustosError('INPUT_INVALID', 'a log key must be an Ed25519 note key, not a cosignature key');
    }
    return { origin: verifier.name, added: this.store.addLog(verifier.name, verifier.verifierKey) };
  }

  /** Verifies and cosigns a checkpoint; returns the cosignature line ("— name base64\n"). */
  addCheckpoint(request: AddCheckpointRequest): string {
    const { oldSize, proof, checkpoint } = request;
    if (!Number.isSafeInteger(oldSize) || oldSize < 0)
      throw invalidInput('old size must be a safe integer >= 0');
    if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) {
      throw invalidInput(`a consistency proof has at most ${MAX_PROOF_HASHES} hashes`);
    }
    const note = parseNote(checkpoint);
    const cp = parseCheckpoint(note.text);
    const log = this.store.getLog(cp.origin);
    if (log === undefined) {
      throw new CustosError('WITNESS_UNKNOWN_LOG', `unknown log ${cp.origin}`, {
        details: { origin: cp.origin },
      });
    }
    const logKey = parseVerifierKey(log.verifierKey);
    openNote(checkpoint, [logKey]);
    if (oldSize > cp.size) throw invalidInput('old size is greater than the checkpoint size');
    const current = log.state;
    const size = current?.size ?? 0;
    if (oldSize !== size) {
      throw new CustosError('WITNESS_CONFLICT', `the witness has cosigned ${cp.origin} at size ${size}`, {
        details: { origin: cp.origin, size },
      });
    }
    const inconsistent = (why: string, sameSize: boolean, cause?: unknown): CustosError =>
      new CustosError('CHECKPOINT_INCONSISTENT', `checkpoint of ${cp.origin}: ${why}`, {
        cause,
        details: { origin: cp.origin, size, sameSize },
      });
    if (cp.size === 0 && !bytesEqual(cp.rootHash, EMPTY_ROOT))
      throw inconsistent('bad empty-tree root', false);
    if (oldSize === 0 && proof.length > 0) throw invalidInput('the proof must be empty when old size is 0');
    if (current !== undefined && cp.size === size) {
      if (!bytesEqual(cp.rootHash, current.rootHash))
        throw inconsistent('another root at the same size', true);
      if (proof.length > 0) throw inconsistent('a proof between equal sizes must be empty', false);
    } else if (current !== undefined && size > 0) {
      try {
        verifyConsistency(size, cp.size, proof, current.rootHash, cp.rootHash);
      } catch (cause) {
        throw inconsistent('the consistency proof does not verify', false, cause);
      }
    }
    const cosignedAt = Math.floor(this.now().getTime() / 1000);
    const line = cosign(note.text, this.signer, cosignedAt);
    const logSignatures = note.signatures
      .filter((s) => s.name === logKey.name && s.keyId === logKey.keyId)
      .map((s) => formatSignatureLine(s.name, s.keyId, s.signature));
    const stored = `${note.text}\n${logSignatures.join('')}${line}`;
    // Durable before the cosignature leaves; a concurrent advance makes this WITNESS_CONFLICT.
    this.store.advance(cp.origin, current, {
      size: cp.size,
      rootHash: cp.rootHash,
      note: stored,
      cosignedAt,
    });
    return line;
  }
}

function invalidInput(why: string): CustosError {
  return new CustosError('INPUT_INVALID', `add-checkpoint: ${why}`);
}
