/**
 * c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1": a witness's note signature on a checkpoint.
 *
 *   key ID          = SHA-256(name || 0x0A || 0x04 || pubkey32)[:4]
 *   signed message  = "cosignature/v1\ntime <decimal seconds>\n" || checkpoint body
 *   signature bytes = keyID(4) || timestamp(8, big-endian) || ed25519 signature(64)
 *
 * The spec allows timestamps up to 2^63 - 1; this module returns them as numbers, so a cosignature whose
 * timestamp exceeds 2^53 - 1 is rejected as COSIGNATURE_INVALID. Checkpoint bodies and signature lines
 * handed to the verifying functions are attacker-controlled.
 */
import { CustosError } from '../../core/errors.js';
import { utf8 } from '../../core/bytes.js';
import { parseCheckpoint } from './checkpoint.js';
import { cosignatureMessage } from './keys.js';
import type { NoteVerifier } from './keys.js';
import type { NoteSigner } from './signer.js';
import { formatSignatureLine, MAX_NOTE_SIGNATURES, parseNote, parseSignatureLine } from './signed-note.js';
import type { NoteSignature } from './signed-note.js';

/** Length of timestamp(8) || ed25519 signature(64), the bytes after the key ID. */
export const COSIGNATURE_V1_LENGTH = 72;

/** Cosigns a checkpoint body at `timestampSeconds`; returns a full "— name base64\n" signature line. */
export function cosign(checkpointText: string, witnessSigner: NoteSigner, timestampSeconds: number): string {
  if (witnessSigner.type !== 'cosignature/v1') throw new TypeError('cosign needs a cosignature/v1 key');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new TypeError('cosignature timestamp must be a non-negative safe integer of seconds');
  }
  parseCheckpoint(checkpointText);
  const timestamp = BigInt(timestampSeconds);
  const signature = witnessSigner.sign(cosignatureMessage(timestamp, utf8(checkpointText)));
  const payload = new Uint8Array(COSIGNATURE_V1_LENGTH);
  new DataView(payload.buffer).setBigUint64(0, timestamp);
  payload.set(signature, 8);
  return formatSignatureLine(witnessSigner.name, witnessSigner.keyId, payload);
}

/**
 * Verifies one cosignature (a parsed signature or a full signature line) on a checkpoint body.
 * CHECKPOINT_MALFORMED for a bad body, COSIGNATURE_UNKNOWN_WITNESS when name or key ID are not the
 * witness's, COSIGNATURE_INVALID for anything else (including a verifier that is not cosignature/v1).
 */
export function verifyCosignature(
  checkpointText: string,
  sigEntry: NoteSignature | string,
  witnessVerifier: NoteVerifier,
): { timestamp: number } {
  if (witnessVerifier.type !== 'cosignature/v1') {
    throw new CustosError(
      'COSIGNATURE_INVALID',
      `cosignature: ${witnessVerifier.name} is not a cosignature/v1 key`,
    );
  }
  parseCheckpoint(checkpointText);
  const entry = typeof sigEntry === 'string' ? parseLine(sigEntry) : sigEntry;
  if (entry.name !== witnessVerifier.name || entry.keyId !== witnessVerifier.keyId) {
    throw new CustosError('COSIGNATURE_UNKNOWN_WITNESS', 'cosignature: not from the given witness key', {
      details: { witness: witnessVerifier.name, keyId: entry.keyId },
    });
  }
  const sig = entry.signature;
  if (sig.length !== COSIGNATURE_V1_LENGTH || !witnessVerifier.verify(utf8(checkpointText), sig)) {
    throw invalid(`signature from ${witnessVerifier.name} does not verify`);
  }
  const timestamp = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('timestamp exceeds 2^53 - 1');
  return { timestamp: Number(timestamp) };
}

/**
 * Appends cosignature lines after the existing signatures of a signed checkpoint (syntax only; verify
 * with openNote or verifyCosignature). A line from a key that already signed the note is dropped, so
 * adding is idempotent. The result must stay within MAX_NOTE_SIGNATURES (else NOTE_MALFORMED).
 */
export function addCosignatures(signedNote: string, signatureLines: readonly string[]): string {
  const note = parseNote(signedNote);
  parseCheckpoint(note.text);
  const signatures = [...note.signatures];
  for (const line of signatureLines) {
    const sig = parseLine(line);
    if (!signatures.some((s) => s.name === sig.name && s.keyId === sig.keyId)) signatures.push(sig);
  }
  if (signatures.length > MAX_NOTE_SIGNATURES) {
    throw new CustosError('NOTE_MALFORMED', `signed note: more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const lines = signatures.map((s) => formatSignatureLine(s.name, s.keyId, s.signature));
  return `${note.text}\n${lines.join('')}`;
}

function parseLine(line: string): NoteSignature {
  let sig: NoteSignature;
  try {
    sig = parseSignatureLine(line);
  } catch (cause) {
    throw new CustosError('COSIGNATURE_INVALID', 'cosignature: malformed signature line', { cause });
  }
  if (sig.signature.length !== COSIGNATURE_V1_LENGTH) throw invalid('not a cosignature/v1 signature');
  return sig;
}

function invalid(why: string): CustosError {
  return new CustosError('COSIGNATURE_INVALID', `cosignature: ${why}`);
}
