/**
 * The secrets the token issuer hands out: opaque API keys (`cus_` + 32 random bytes, base64url),
 * recognised by their HMAC fingerprint, and short-lived JWTs (EdDSA, RFC 8037) that a downstream
 * service can verify offline against the published JWKS (RFC 7517).
 */
import crypto from 'node:crypto';
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export const API_KEY_PREFIX = 'cus_';
/** The private claim naming the run that issued a token. */
export const RUN_CLAIM = 'custos_run';

export interface TokenSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public key as a JWK with `kid`, `alg` and `use`, ready to publish. */
  readonly publicJwk: JWK;
}

export async function generateTokenSigningKey(): Promise<TokenSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  const kid = crypto.createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 16);
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export function newCredentialId(): string {
  return `cred_${crypto.randomBytes(12).toString('base64url')}`;
}

export function newApiKey(): string {
  return `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
}

export interface TokenClaims {
  readonly issuer: string;
  readonly identity: string;
  readonly runId: string;
  readonly credentialId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export function signToken(key: TokenSigningKey, claims: TokenClaims): Promise<string> {
  return new SignJWT({ [RUN_CLAIM]: claims.runId })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setSubject(claims.identity)
    .setJti(claims.credentialId)
    .setIssuedAt(Math.floor(claims.issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(key.privateKey);
}

/** The run id claim of a verified payload, when present. */
export function runOf(payload: JWTPayload): string | null {
  const run = payload[RUN_CLAIM];
  return typeof run === 'string' ? run : null;
}

export function looksLikeJwt(value: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

/** A new signing key with its private half as a JWK, to keep in a private file. */
export async function generateTokenSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), alg: 'EdDSA' };
}

/** The signing key from its private JWK (as generateTokenSigningJwk writes it). */
export async function tokenSigningKeyFromJwk(privateJwk: JWK): Promise<TokenSigningKey> {
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || privateJwk.d === undefined)
    throw new TypeError('a token signing key must be a private Ed25519 JWK');
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x! };
  const privateKey = (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  const kid = crypto.createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' } };
}
