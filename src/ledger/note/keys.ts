/**
 * Ed25519 note verifier keys in the encodings of golang.org/x/mod/sumdb/note and c2sp.org/signed-note
 * (signer keys are in signer.ts, which the offline verifier does not need):
 *
 *   key ID      = SHA-256(name || 0x0A || sigType || pubkey32)[:4], read big-endian
 *   verifier    = <name>+<8 lowercase hex key ID>+<base64(sigType || pubkey32)>
 *   signer      = PRIVATE+KEY+<name>+<8 lowercase hex key ID>+<base64(sigType || seed32)>
 *
 * sigType 0x01 is a plain Ed25519 note signature (c2sp.org/signed-note "Ed25519 signatures"); 0x04 is a
 * timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature, "cosignature/v1"). Key texts may
 * come from configuration files or peers, so parsing treats them as attacker-controlled: every failure is
 * a CustosError (VKEY_MALFORMED / SKEY_MALFORMED) and never echoes private key material.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import { concatBytes, decodeBase64Strict, utf8 } from '../../core/bytes.js';
import { hasControl, isWellFormed } from './text.js';

export type NoteKeyType = 'ed25519' | 'cosignature/v1';

export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

export interface NoteVerifier {
  readonly name: string;
  /** uint32 key ID (big-endian first 4 bytes of the key hash). */
  readonly keyId: number;
  readonly type: NoteKeyType;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Canonical vkey text. */
  readonly verifierKey: string;
  /**
   * Verifies `sig` (the signature bytes after the 4-byte key ID) over the note text `msg`. For
   * 'cosignature/v1' keys `sig` is timestamp(8, big-endian) || ed25519(64) and the signed message is
   * the c2sp.org/tlog-cosignature framing of `msg`. Never throws.
   */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

const KEY_TYPES = new Map<number, NoteKeyType>([
  [SIG_TYPE_ED25519, 'ed25519'],
  [SIG_TYPE_COSIGNATURE_V1, 'cosignature/v1'],
]);
const MAX_COSIGNATURE_TIMESTAMP = (1n << 63n) - 1n;
// Go's unicode.IsSpace set: ASCII whitespace, NEL, NBSP and Unicode categories Zs, Zl, Zp.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const HEX_KEY_ID = /^[0-9a-f]{8}$/;

/** c2sp.org/signed-note: key names are non-empty, well-formed, without Unicode spaces or '+'. */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !name.includes('+') &&
    !UNICODE_SPACE.test(name) &&
    !hasControl(name, false) &&
    isWellFormed(name)
  );
}

/** key ID = SHA-256(name || 0x0A || sigType || publicKey)[:4] as a big-endian uint32 (c2sp.org/signed-note). */
export function computeKeyId(name: string, sigType: number, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(concatBytes(utf8(name), Uint8Array.of(0x0a, sigType), publicKey))
    .digest();
  return digest.readUInt32BE(0);
}

export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** Parses a vkey. Attacker-controlled input: splits on the first two '+' only (base64 may hold '+'). */
export function parseVerifierKey(text: string): NoteVerifier {
  const { name, hex, b64, sigType, type, material } = parseKeyFields(text, 'VKEY_MALFORMED');
  const keyId = computeKeyId(name, sigType, material);
  if (formatKeyId(keyId) !== hex) {
    throw new CustosError(
      'VKEY_MALFORMED',
      'verifier key: key ID does not match SHA-256(name || 0x0A || key)',
    );
  }
  let keyObject: KeyObject;
  try {
    const x = Buffer.from(material).toString('base64url');
    keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (cause) {
    throw new CustosError('VKEY_MALFORMED', 'verifier key: not an Ed25519 public key', { cause });
  }
  return makeVerifier(name, keyId, type, material, keyObject, `${name}+${hex}+${b64}`);
}

/**
 * Splits "<name>+<hex id>+<base64(type || 32 bytes)>" on the first two '+' only and checks each field;
 * the key ID is checked by the caller (a signer key must first derive its public key). The messages
 * never include the input, which may be secret.
 */
export function parseKeyFields(
  text: string,
  code: 'VKEY_MALFORMED' | 'SKEY_MALFORMED',
): { name: string; hex: string; b64: string; sigType: number; type: NoteKeyType; material: Uint8Array } {
  const bad = (why: string): CustosError => new CustosError(code, `note key: ${why}`);
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw bad('expected <name>+<hex key ID>+<base64 key>');
  const [name, hex, b64] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!isValidKeyName(name)) throw bad('invalid key name');
  if (!HEX_KEY_ID.test(hex)) throw bad('key ID must be 8 lowercase hex digits');
  const key = decodeBase64Strict(b64);
  if (key?.length !== 33) throw bad('key must be base64 of a type byte and 32 Ed25519 key bytes');
  const sigType = key[0]!;
  const type = KEY_TYPES.get(sigType);
  if (type === undefined) throw bad('unknown signature type byte');
  return { name, hex, b64, sigType, type, material: key.slice(1) };
}

/** The c2sp.org/tlog-cosignature Ed25519 signed message for a note body at `timestamp`. */
export function cosignatureMessage(timestamp: bigint, body: Uint8Array): Uint8Array {
  return concatBytes(utf8(`cosignature/v1\ntime ${timestamp.toString()}\n`), body);
}

function makeVerifier(
  name: string,
  keyId: number,
  type: NoteKeyType,
  publicKey: Uint8Array,
  keyObject: KeyObject,
  verifierKey: string,
): NoteVerifier {
  const ed25519 = (msg: Uint8Array, sig: Uint8Array): boolean => {
    try {
      return sig.length === 64 && verify(null, msg, keyObject, sig);
    } catch {
      return false;
    }
  };
  const check =
    type === 'ed25519'
      ? ed25519
      : (msg: Uint8Array, sig: Uint8Array): boolean => {
          // sig is attacker-controlled: timestamp(8) || ed25519(64), timestamp at most 2^63 - 1.
          if (sig.length !== 72) return false;
          const timestamp = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
          if (timestamp > MAX_COSIGNATURE_TIMESTAMP) return false;
          return ed25519(cosignatureMessage(timestamp, msg), sig.subarray(8));
        };
  return { name, keyId, type, publicKey, verifierKey, verify: check };
}
