/**
 * The log asks each of its witnesses (those with a URL) to cosign a freshly signed checkpoint,
 * proving consistency from the size that witness last cosigned, and stores the cosignatures it
 * gets back with the checkpoint. A witness that is down or refuses does not undo the checkpoint:
 * its failure is reported (with its code) so the operator sees an unwitnessed checkpoint.
 */
import { CustosError } from '../core/errors.js';
import { parseNote, parseVerifierKey, type NoteVerifier } from '../ledger/note/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { SignedCheckpoint } from '../ledger/checkpoint-signer.js';
import { requestCosignature } from './client.js';

export interface WitnessOutcome {
  readonly witness: string;
  readonly ok: boolean;
  readonly code?: string;
}

export async function collectCosignatures(
  ledger: Ledger,
  checkpoint: SignedCheckpoint,
): Promise<WitnessOutcome[]> {
  const outcomes: WitnessOutcome[] = [];
  for (const { verifierKey, url } of await ledger.witnesses()) {
    if (url === null) continue;
    const witness = parseVerifierKey(verifierKey);
    try {
      const lines = await askWitness(ledger, checkpoint, witness, url);
      await ledger.addCosignatures(checkpoint.size, lines);
      outcomes.push({ witness: witness.name, ok: true });
    } catch (e) {
      outcomes.push({
        witness: witness.name,
        ok: false,
        code: e instanceof CustosError ? e.code : 'INTERNAL',
      });
    }
  }
  return outcomes;
}

async function askWitness(
  ledger: Ledger,
  checkpoint: SignedCheckpoint,
  witness: NoteVerifier,
  url: string,
): Promise<readonly string[]> {
  let oldSize = await lastCosignedSize(ledger, witness, checkpoint.size);
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof =
      oldSize === 0 || oldSize === checkpoint.size
        ? []
        : await ledger.consistencyProof(oldSize, checkpoint.size);
    const result = await requestCosignature(
      url,
      { oldSize, proof, checkpoint: checkpoint.note },
      { witness },
    );
    if (result.kind === 'cosigned') return result.lines;
    // The witness holds another size: prove consistency from there, once.
    oldSize = result.witnessSize;
  }
  throw new CustosError('WITNESS_REJECTED', `witness ${witness.name} keeps answering with a conflict`);
}

/** The largest stored checkpoint size (at most `limit`) that this witness has cosigned, else 0. */
async function lastCosignedSize(ledger: Ledger, witness: NoteVerifier, limit: number): Promise<number> {
  const checkpoints = await ledger.checkpoints();
  for (const cp of checkpoints.reverse()) {
    if (cp.size > limit) continue;
    if (parseNote(cp.note).signatures.some((s) => s.name === witness.name && s.keyId === witness.keyId))
      return cp.size;
  }
  return 0;
}
