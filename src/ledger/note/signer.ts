/**
 * Ed25519 note signer keys (golang.org/x/mod/sumdb/note "PRIVATE+KEY+<name>+<hex key ID>+<base64(type ||
 * seed32)>"), type 0x01 for signed notes and 0x04 for c2sp.org/tlog-cosignature witnesses. The key ID
 * is that of the derived public key. Key texts are secrets: errors never include them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import { concatBytes, encodeBase64 } from '../../core/bytes.js';
import {
  computeKeyId,
  formatKeyId,
  isValidKeyName,
  parseKeyFields,
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
} from './keys.js';
import type { NoteKeyType } from './keys.js';

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: NoteKeyType;
  readonly publicKey: Uint8Array;
  /** The matching vkey text. */
  readonly verifierKey: string;
  /** Raw 64-byte Ed25519 signature over `msg` (framing is the caller's job, see signNote/cosign). */
  sign(msg: Uint8Array): Uint8Array;
}

// PKCS#8 DER prefix for an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

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
  const sigType = type === 'ed25519' ? SIG_TYPE_ED25519 : SIG_TYPE_COSIGNATURE_V1;
  const id = formatKeyId(computeKeyId(name, sigType, pub));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${encodeBase64(concatBytes(Uint8Array.of(sigType), seed))}`,
    verifierKey: `${name}+${id}+${encodeBase64(concatBytes(Uint8Array.of(sigType), pub))}`,
  };
}

/** Parses a signer key; attacker-controlled shape, secret content (never placed in errors). */
export function parseSignerKey(text: string): NoteSigner {
  if (!text.startsWith('PRIVATE+KEY+'))
    throw new CustosError('SKEY_MALFORMED', 'signer key: no PRIVATE+KEY+');
  const { name, hex, sigType, type, material } = parseKeyFields(text.slice(12), 'SKEY_MALFORMED');
  let privateKey: KeyObject;
  let publicKey: Uint8Array;
  try {
    const der = Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, material));
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
    if (x === undefined) throw new Error('no public key');
    publicKey = new Uint8Array(Buffer.from(x, 'base64url'));
  } catch (cause) {
    throw new CustosError('SKEY_MALFORMED', 'signer key: not an Ed25519 seed', { cause });
  }
  const keyId = computeKeyId(name, sigType, publicKey);
  if (formatKeyId(keyId) !== hex) {
    throw new CustosError('SKEY_MALFORMED', 'signer key: key ID does not match the derived public key');
  }
  return {
    name,
    keyId,
    type,
    publicKey,
    verifierKey: `${name}+${hex}+${encodeBase64(concatBytes(Uint8Array.of(sigType), publicKey))}`,
    sign: (msg) => new Uint8Array(sign(null, msg, privateKey)),
  };
}
