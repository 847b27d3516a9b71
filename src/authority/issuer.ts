/**
 * Mints the delegated authority for one run: a compact JWS (EdDSA) naming the executor, bound to
 * the run id and the request digest, scoped to exactly the approved grants and expiring with the
 * step timeout. The run engine records the claims (not the token) on the execution record.
 */
import crypto from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { ed25519PrivateKey } from './keys.js';
import {
  AUTHORITY_AUDIENCE,
  AUTHORITY_TYP,
  MAX_AUTHORITY_TTL_SECONDS,
  type AuthorityClaims,
  type AuthorityGrant,
} from './types.js';

export interface AuthorityIssuerOptions {
  readonly privateKey: crypto.KeyObject | JWK;
  readonly kid: string;
  readonly issuer: string;
  readonly now: () => Date;
  /** How many minted tokens `mintedHere` remembers (default 4096; 0: none). */
  readonly rememberMinted?: number;
}

export interface MintRequest {
  readonly runId: string;
  readonly requestDigest: string;
  /** The workflow's own executor identity, never a shared one. */
  readonly executor: string;
  readonly grants: readonly AuthorityGrant[];
  /** The step timeout: the token is useless afterwards. */
  readonly ttlSeconds: number;
}

export interface MintedAuthority {
  readonly token: string;
  readonly claims: AuthorityClaims;
}

export interface AuthorityIssuer {
  mint(request: MintRequest): Promise<string>;
  /** As mint, also returning the claims for the execution record. */
  mintWithClaims(request: MintRequest): Promise<MintedAuthority>;
  /** The public half of the signing key (with `kid`): what a verifier must hold to verify the tokens. */
  readonly publicJwk: JWK;
  /**
   * The claims of a token this issuer minted, by its exact compact text, while it is remembered (the
   * last `rememberMinted` tokens); otherwise undefined. See AuthorityVerifierOptions.sameProcessIssuer.
   */
  mintedHere(token: string): AuthorityClaims | undefined;
}

export function createAuthorityIssuer(options: AuthorityIssuerOptions): AuthorityIssuer {
  const key = ed25519PrivateKey(options.privateKey);
  if (options.kid === '' || options.issuer === '') throw new TypeError('kid and issuer are required');
  const x = crypto.createPublicKey(key).export({ format: 'jwk' }).x!;
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x, kid: options.kid, alg: 'EdDSA', use: 'sig' };
  const remember = options.rememberMinted ?? 4096;
  const minted = new Map<string, AuthorityClaims>();
  const mintWithClaims = async (request: MintRequest): Promise<MintedAuthority> => {
    checkRequest(request);
    const iat = Math.floor(options.now().getTime() / 1000);
    const claims: AuthorityClaims = {
      iss: options.issuer,
      sub: request.executor,
      aud: AUTHORITY_AUDIENCE,
      jti: crypto.randomUUID(),
      iat,
      nbf: iat,
      exp: iat + request.ttlSeconds,
      run_id: request.runId,
      req_digest: request.requestDigest,
      grants: request.grants.map((g) => ({ action: g.action, system: g.system, identity: g.identity })),
    };
    const token = await new SignJWT({ ...claims, grants: claims.grants.map((g) => ({ ...g })) })
      .setProtectedHeader({ alg: 'EdDSA', kid: options.kid, typ: AUTHORITY_TYP })
      .sign(key);
    if (remember > 0) {
      if (minted.size >= remember) minted.delete(minted.keys().next().value!);
      minted.set(token, claims);
    }
    return { token, claims };
  };
  return {
    mint: async (request) => (await mintWithClaims(request)).token,
    mintWithClaims,
    publicJwk,
    mintedHere: (token) => minted.get(token),
  };
}

/** Misuse by the engine, not untrusted input: TypeError. */
function checkRequest(request: MintRequest): void {
  const ttl = request.ttlSeconds;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_AUTHORITY_TTL_SECONDS) {
    throw new TypeError(`ttlSeconds must be an integer in 1..${MAX_AUTHORITY_TTL_SECONDS}`);
  }
  if (request.runId === '' || request.requestDigest === '' || request.executor === '') {
    throw new TypeError('runId, requestDigest and executor are required');
  }
  if (request.grants.length === 0) throw new TypeError('an authority needs at least one grant');
}
