/**
 * Authority signing keys: Ed25519, exported as JWK, identified by their RFC 7638 thumbprint so
 * a verifier's JWKS can be published and matched by `kid` without any registry.
 */
import crypto from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface AuthorityKey {
  /** Keep secret: the engine signs with it. */
  readonly privateJwk: JWK;
  /** Publish: connectors verify with it. Carries `kid`, `alg` and `use`. */
  readonly publicJwk: JWK;
  /** RFC 7638 thumbprint (SHA-256, base64url) of the public key. */
  readonly kid: string;
}

export async function generateAuthorityKey(): Promise<AuthorityKey> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: pub.x! }, 'sha256');
  return {
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'EdDSA' },
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: pub.x!, kid, alg: 'EdDSA', use: 'sig' },
    kid,
  };
}

/** The JWKS (RFC 7517 §5) connectors are configured with: public parts only. */
export function authorityJwks(keys: readonly AuthorityKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => ({ ...k.publicJwk })) };
}

/** An Ed25519 private KeyObject from a KeyObject or a private JWK; TypeError on anything else. */
export function ed25519PrivateKey(key: crypto.KeyObject | JWK): crypto.KeyObject {
  const object =
    key instanceof crypto.KeyObject
      ? key
      : crypto.createPrivateKey({ key: key as crypto.JsonWebKey, format: 'jwk' });
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('authority key must be an Ed25519 private key');
  }
  return object;
}

/** The key from its private JWK (as generateAuthorityKey returns it and the keys directory keeps it). */
export async function authorityKeyFromJwk(privateJwk: JWK): Promise<AuthorityKey> {
  const object = ed25519PrivateKey(privateJwk);
  const pub = crypto.createPublicKey(object).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: pub.x! }, 'sha256');
  return {
    privateJwk: { ...(object.export({ format: 'jwk' }) as JWK), kid, alg: 'EdDSA' },
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: pub.x!, kid, alg: 'EdDSA', use: 'sig' },
    kid,
  };
}
