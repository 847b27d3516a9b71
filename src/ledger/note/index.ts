/**
 * Pure signed-note layer of the ledger: c2sp.org/signed-note, c2sp.org/tlog-checkpoint and
 * c2sp.org/tlog-cosignature (Ed25519). Depends only on node:crypto and the core error/byte helpers so
 * that the standalone offline verifier can import it.
 */
export {
  computeKeyId,
  isValidKeyName,
  parseVerifierKey,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
} from './keys.js';
export type { NoteKeyType, NoteVerifier } from './keys.js';
export { generateNoteKey, parseSignerKey } from './signer.js';
export type { NoteSigner } from './signer.js';
export {
  formatSignatureLine,
  isValidNoteText,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseNote,
  parseSignatureLine,
  signNote,
} from './signed-note.js';
export type { NoteKeyRef, NoteSignature, OpenedNote, OpenNoteOptions, ParsedNote } from './signed-note.js';
export { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointInput } from './checkpoint.js';
export { addCosignatures, COSIGNATURE_V1_LENGTH, cosign, verifyCosignature } from './cosignature.js';
