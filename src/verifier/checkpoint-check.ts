/**
 * Opens a signed checkpoint for an auditor: it must carry a valid signature by the trusted log key,
 * and every other signature must be a valid cosignature by a trusted witness — an unknown signer
 * is an error here (strict auditing), not silently ignored.
 */
import { CustosError } from '../core/errors.js';
import {
  openNote,
  parseCheckpoint,
  parseNote,
  verifyCosignature,
  type Checkpoint,
  type NoteVerifier,
} from '../ledger/note/index.js';

export interface TrustPolicy {
  readonly log: NoteVerifier;
  readonly witnesses: readonly NoteVerifier[];
}

export interface CheckedCheckpoint extends Checkpoint {
  readonly note: string;
  readonly cosigners: readonly { readonly name: string; readonly timestamp: number }[];
}

export function checkCheckpoint(note: string, trust: TrustPolicy): CheckedCheckpoint {
  let text: string;
  try {
    text = openNote(note, [trust.log]).text;
  } catch (e) {
    if (e instanceof CustosError && e.code === 'NOTE_UNVERIFIED') {
      throw new CustosError(
        'CHECKPOINT_SIGNER_UNKNOWN',
        `checkpoint is not signed by the trusted log key ${trust.log.name}`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== trust.log.name) {
    throw new CustosError(
      'CHECKPOINT_ORIGIN_MISMATCH',
      `checkpoint origin ${checkpoint.origin} is not ${trust.log.name}`,
    );
  }
  const cosigners: { name: string; timestamp: number }[] = [];
  for (const sig of parseNote(note).signatures) {
    if (sig.name === trust.log.name && sig.keyId === trust.log.keyId) continue;
    const witness = trust.witnesses.find((w) => w.name === sig.name && w.keyId === sig.keyId);
    if (witness === undefined) {
      throw new CustosError(
        'COSIGNATURE_UNKNOWN_WITNESS',
        `checkpoint carries a signature by unknown key ${sig.name}`,
        {
          details: { signer: sig.name },
        },
      );
    }
    cosigners.push({ name: witness.name, timestamp: verifyCosignature(text, sig, witness).timestamp });
  }
  return { ...checkpoint, note, cosigners };
}
