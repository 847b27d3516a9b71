/**
 * Approver keys: each person holds an Ed25519 private key locally (the CLI keeps it); Custos stores
 * only the raw public key. The key id is the RFC 7638 JWK thumbprint of the public key, so it is
 * the same whether computed here, by jose, or by an auditor.
 */
import crypto from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';

export interface ApproverKey {
  readonly principal: string;
  readonly keyId: string;
  /** Base64 of the raw 32-byte Ed25519 public key. */
  readonly publicKey: string;
  readonly registeredAt: string;
  readonly revokedAt?: string;
}

export interface GeneratedApproverKey {
  readonly principal: string;
  /** PKCS#8 PEM: stays with the approver, never sent to Custos. */
  readonly privateKeyPem: string;
  readonly publicKey: string;
  readonly keyId: string;
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4) before the 32 raw key bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateApproverKey(principal: string): GeneratedApproverKey {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  const b64 = raw.toString('base64');
  return {
    principal,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: b64,
    keyId: approverKeyId(b64),
  };
}

/** RFC 7638 thumbprint: SHA-256 over `{"crv":"Ed25519","kty":"OKP","x":<base64url>}`, base64url. */
export function approverKeyId(publicKeyBase64: string): string {
  const x = rawPublicKey(publicKeyBase64).toString('base64url');
  return crypto
    .createHash('sha256')
    .update(canonicalize({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
}

/** A KeyObject from a stored public key; KEY_MALFORMED when it is not 32 bytes of base64. */
export function approverPublicKey(publicKeyBase64: string): crypto.KeyObject {
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, rawPublicKey(publicKeyBase64)]),
    format: 'der',
    type: 'spki',
  });
}

function rawPublicKey(publicKeyBase64: string): Buffer {
  const raw = Buffer.from(publicKeyBase64, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== publicKeyBase64) {
    throw new CustosError('KEY_MALFORMED', 'an approver public key is 32 bytes of base64');
  }
  return raw;
}
