/**
 * c2sp.org/signed-note (golang.org/x/mod/sumdb/note): a UTF-8 text ending in '\n', a blank line, then
 * one or more lines "— <key name> <base64(uint32 key ID || signature)>\n" (U+2014 EM DASH, space).
 * The text is separated from the signatures by the last blank line; the signed message is the text
 * including its final newline. Everything parsed here is attacker-controlled: failures are CustosErrors
 * (NOTE_MALFORMED, NOTE_SIGNATURE_INVALID, NOTE_UNVERIFIED, NOTE_UNKNOWN_KEY), never crashes.
 */
import { CustosError } from '../../core/errors.js';
import { concatBytes, decodeBase64Strict, encodeBase64, utf8 } from '../../core/bytes.js';
import { isValidKeyName } from './keys.js';
import { hasControl, isWellFormed } from './text.js';
import type { NoteVerifier } from './keys.js';
import type { NoteSigner } from './signer.js';

/** Verifiers SHOULD cap the signature count (spec); 100 is golang.org/x/mod/sumdb/note's cap. */
export const MAX_NOTE_SIGNATURES = 100;
export const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** Signature bytes after the 4-byte key ID. */
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteKeyRef {
  readonly name: string;
  readonly keyId: number;
}

export interface OpenedNote {
  readonly text: string;
  /** Distinct known keys whose signatures verified, in note order. */
  readonly verified: readonly NoteKeyRef[];
  /** Every signature whose (name, key ID) matches none of the given verifiers, in note order. */
  readonly unverified: readonly NoteSignature[];
}

export interface OpenNoteOptions {
  /** Strict auditing: a signature from a key not among the verifiers is NOTE_UNKNOWN_KEY. */
  readonly rejectUnknown?: boolean;
}

// Keeps a leading U+FEFF as text: dropping it would let a prepended BOM verify unchanged.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A note text is well-formed UTF-16 (so UTF-8 encodable), ends in '\n', has no other controls. */
export function isValidNoteText(text: string): boolean {
  return text.endsWith('\n') && !hasControl(text, true) && isWellFormed(text);
}

export function formatSignatureLine(name: string, keyId: number, signature: Uint8Array): string {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, keyId);
  return `${SIGNATURE_PREFIX}${name} ${encodeBase64(concatBytes(id, signature))}\n`;
}

/** Signs `text` with each Ed25519 note signer, in order. Use cosign() for cosignature/v1 keys. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!isValidNoteText(text)) {
    throw new CustosError('NOTE_MALFORMED', 'note text must be UTF-8 ending in a newline without controls');
  }
  if (signers.length === 0 || signers.length > MAX_NOTE_SIGNATURES) {
    throw new TypeError(`a note needs 1..${MAX_NOTE_SIGNATURES} signers`);
  }
  const msg = utf8(text);
  let lines = '';
  for (const signer of signers) {
    if (signer.type !== 'ed25519') throw new TypeError('signNote takes Ed25519 note keys; use cosign()');
    lines += formatSignatureLine(signer.name, signer.keyId, signer.sign(msg));
  }
  return `${text}\n${lines}`;
}

/** Parses a signed note without verifying it. `input` is attacker-controlled. */
export function parseNote(input: string | Uint8Array): ParsedNote {
  let message: string;
  if (typeof input === 'string') {
    if (!isWellFormed(input)) throw malformed('note is not well-formed Unicode');
    message = input;
  } else {
    try {
      message = utf8Decoder.decode(input);
    } catch (cause) {
      throw new CustosError('NOTE_MALFORMED', 'signed note: not valid UTF-8', { cause });
    }
  }
  if (hasControl(message, true)) throw malformed('control character in note');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) throw malformed('signature block must be non-empty lines');
  const signatures: NoteSignature[] = [];
  for (let start = 0; start < block.length;) {
    if (signatures.length === MAX_NOTE_SIGNATURES) {
      throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
    }
    const end = block.indexOf('\n', start);
    signatures.push(parseLine(block.slice(start, end), signatures.length));
    start = end + 1;
  }
  return { text, signatures };
}

/** Parses one full signature line "— name base64\n" (attacker-controlled). */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.endsWith('\n') || hasControl(line, true) || !isWellFormed(line)) {
    throw malformed('signature line must be one newline-terminated line');
  }
  const body = line.slice(0, -1);
  if (body.includes('\n')) throw malformed('signature line must be one newline-terminated line');
  return parseLine(body, 0);
}

/**
 * Parses and verifies a note (c2sp.org/signed-note "Signatures"): signatures from unknown keys are
 * ignored (but returned in `unverified`, or rejected with `rejectUnknown`); every signature whose name
 * and key ID match a verifier must verify (NOTE_SIGNATURE_INVALID); at least one must (NOTE_UNVERIFIED).
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: OpenNoteOptions = {},
): OpenedNote {
  assertUnambiguous(verifiers);
  const parsed = parseNote(note);
  const msg = utf8(parsed.text);
  const verified: NoteKeyRef[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (verifier === undefined) {
      if (options.rejectUnknown === true) {
        throw new CustosError('NOTE_UNKNOWN_KEY', 'signed note: signature from an unknown key', {
          details: { keyId: sig.keyId },
        });
      }
      unverified.push(sig);
      continue;
    }
    if (!verifier.verify(msg, sig.signature)) {
      throw new CustosError('NOTE_SIGNATURE_INVALID', `signed note: bad signature from ${verifier.name}`, {
        details: { name: verifier.name, keyId: verifier.keyId },
      });
    }
    if (!verified.some((k) => k.name === sig.name && k.keyId === sig.keyId)) {
      verified.push({ name: sig.name, keyId: sig.keyId });
    }
  }
  if (verified.length === 0) {
    throw new CustosError('NOTE_UNVERIFIED', 'signed note: no signature from a trusted key', {
      details: { signatures: parsed.signatures.length },
    });
  }
  return { text: parsed.text, verified, unverified };
}

function parseLine(line: string, index: number): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('signature line must start with "— "', index);
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  const bytes = space < 0 ? undefined : decodeBase64Strict(rest.slice(space + 1));
  if (!isValidKeyName(name)) throw malformed('invalid key name in signature line', index);
  if (bytes === undefined || bytes.length < 5) throw malformed('signature is not base64 of 5+ bytes', index);
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  return { name, keyId, signature: bytes.slice(4) };
}

function assertUnambiguous(verifiers: readonly NoteVerifier[]): void {
  verifiers.forEach((v, i) => {
    const other = verifiers.findIndex((w) => w.name === v.name && w.keyId === v.keyId);
    if (other !== i && verifiers[other]!.verifierKey !== v.verifierKey) {
      throw new TypeError(`ambiguous verifiers: two keys named ${v.name} share a key ID`);
    }
  });
}

function malformed(why: string, line?: number): CustosError {
  return new CustosError(
    'NOTE_MALFORMED',
    `signed note: ${why}`,
    line === undefined ? {} : { details: { line } },
  );
}
