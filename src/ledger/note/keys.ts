/**
 * Ed25519 note keys in the encodings of golang.org/x/mod/sumdb/note and c2sp.org/signed-note:
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
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import { concatBytes, decodeBase64Strict, encodeBase64, utf8 } from '../../core/bytes.js';
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

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: NoteKeyType;
  readonly publicKey: Uint8Array;
  readonly verifierKey: string;
  /** Raw 64-byte Ed25519 signature over `msg` (framing is the caller's job, see signNote/cosign). */
  sign(msg: Uint8Array): Uint8Array;
}

const MAX_COSIGNATURE_TIMESTAMP = (1n << 63n) - 1n;
// Go's unicode.IsSpace set: ASCII whitespace, NEL, NBSP and Unicode categories Zs, Zl, Zp.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const HEX_KEY_ID = /^[0-9a-f]{8}$/;
// PKCS#8 DER prefix for an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

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

/** Generates a fresh key pair and returns both key texts. `name` is validated (TypeError on misuse). */
export function generateNoteKey(
  name: string,
  type: NoteKeyType = 'ed25519',
): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw new TypeError('note key name must be non-empty without spaces or "+"');
  if (type !== 'ed25519' && type !== 'cosignature/v1') throw new TypeError(`unknown note key type`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined) throw new Error('Ed25519 JWK export lacks d or x');
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');
  const sigType = typeByte(type);
  const id = formatKeyId(computeKeyId(name, sigType, pub));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${encodeBase64(concatBytes(Uint8Array.of(sigType), seed))}`,
    verifierKey: `${name}+${id}+${encodeBase64(concatBytes(Uint8Array.of(sigType), pub))}`,
  };
}

/** Parses a vkey. Attacker-controlled input: splits on the first two '+' only (base64 may hold '+'). */
export function parseVerifierKey(text: string): NoteVerifier {
  const bad = (why: string): CustosError => new CustosError('VKEY_MALFORMED', `verifier key: ${why}`);
  const parts = splitKeyText(text);
  if (parts === undefined) throw bad('expected <name>+<hex id>+<base64 key>');
  const [name, hex, b64] = parts;
  if (!isValidKeyName(name)) throw bad('invalid key name');
  if (!HEX_KEY_ID.test(hex)) throw bad('key ID must be 8 lowercase hex digits');
  const key = decodeBase64Strict(b64);
  if (key?.length !== 33) throw bad('key must be base64 of a type byte and a 32-byte Ed25519 key');
  const type = keyType(key[0]!);
  if (type === undefined) throw bad('unknown signature type byte');
  const publicKey = key.slice(1);
  const keyId = computeKeyId(name, key[0]!, publicKey);
  if (formatKeyId(keyId) !== hex) throw bad('key ID does not match SHA-256(name || 0x0A || key)');
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
  } catch (cause) {
    throw new CustosError('VKEY_MALFORMED', 'verifier key: not an Ed25519 public key', { cause });
  }
  return makeVerifier(name, keyId, type, publicKey, keyObject, `${name}+${hex}+${b64}`);
}

/** Parses a signer key; attacker-controlled shape, secret content (never placed in errors). */
export function parseSignerKey(text: string): NoteSigner {
  const bad = (why: string): CustosError => new CustosError('SKEY_MALFORMED', `signer key: ${why}`);
  const parts = text.startsWith('PRIVATE+KEY+') ? splitKeyText(text.slice(12)) : undefined;
  if (parts === undefined) throw bad('expected PRIVATE+KEY+<name>+<hex id>+<base64 key>');
  const [name, hex, b64] = parts;
  if (!isValidKeyName(name)) throw bad('invalid key name');
  if (!HEX_KEY_ID.test(hex)) throw bad('key ID must be 8 lowercase hex digits');
  const key = decodeBase64Strict(b64);
  if (key?.length !== 33) throw bad('key must be base64 of a type byte and a 32-byte Ed25519 seed');
  const type = keyType(key[0]!);
  if (type === undefined) throw bad('unknown signature type byte');
  let privateKey: KeyObject;
  let publicKey: Uint8Array;
  try {
    privateKey = createPrivateKey({
      key: Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, key.subarray(1))),
      format: 'der',
      type: 'pkcs8',
    });
    const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
    if (x === undefined) throw new Error('no public key');
    publicKey = new Uint8Array(Buffer.from(x, 'base64url'));
  } catch (cause) {
    throw new CustosError('SKEY_MALFORMED', 'signer key: not an Ed25519 seed', { cause });
  }
  const keyId = computeKeyId(name, key[0]!, publicKey);
  if (formatKeyId(keyId) !== hex) throw bad('key ID does not match the derived public key');
  const verifierKey = `${name}+${hex}+${encodeBase64(concatBytes(Uint8Array.of(key[0]!), publicKey))}`;
  return {
    name,
    keyId,
    type,
    publicKey,
    verifierKey,
    sign: (msg) => new Uint8Array(sign(null, msg, privateKey)),
  };
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

function splitKeyText(text: string): [string, string, string] | undefined {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  return [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
}

function keyType(byte: number): NoteKeyType | undefined {
  if (byte === SIG_TYPE_ED25519) return 'ed25519';
  if (byte === SIG_TYPE_COSIGNATURE_V1) return 'cosignature/v1';
  return undefined;
}

function typeByte(type: NoteKeyType): number {
  return type === 'ed25519' ? SIG_TYPE_ED25519 : SIG_TYPE_COSIGNATURE_V1;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
