/**
 * Verifies a delegated authority before a connector acts. The token is attacker-controlled input:
 * only EdDSA is accepted (no `none`, no HMAC with a public key as secret), the key is chosen by
 * `kid` from a configured JWKS only, and issuer, audience, type and lifetime are all checked
 * before the scope (run id, exact grant) is.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose';
import { z } from 'zod';
import { CustosError } from '../core/errors.js';
import type { Step } from '../connectors/contract.js';
import type { AuthorityIssuer } from './issuer.js';
import { AUTHORITY_AUDIENCE, AUTHORITY_TYP, type AuthorityClaims } from './types.js';

export interface AuthorityVerifierOptions {
  readonly publicKeys: { readonly keys: readonly JWK[] };
  readonly issuer: string;
  readonly now: () => Date;
  readonly clockToleranceSeconds?: number;
  /**
   * How many verified tokens to remember (default 4096; 0 turns the cache off). A run's authority is
   * presented for every connector call of the run; the signature and the claims are checked once.
   */
  readonly cacheSize?: number;
  /**
   * The issuer of this process, when the connectors run in the engine's process (`custos serve`, the
   * CLI). A token it minted, found by its exact text, is taken with the claims it was minted with,
   * without verifying its signature again: the same process has just made that signature over those
   * claims, and nothing outside the process can add a token to its memory. The issuer's key must be
   * in `publicKeys` under its kid (checked here: a verifier that could not verify the issuer's tokens
   * must not accept them this way), its name must be `issuer`, and lifetime and scope are checked on
   * every call as for any token. A token it does not remember is verified in full. This saves one
   * verification per run (364–583 µs of CPU per token with jose on the benchmark's VM).
   */
  readonly sameProcessIssuer?: Pick<AuthorityIssuer, 'publicJwk' | 'mintedHere'>;
}

/** What the caller is about to do; the token must grant exactly this. */
export interface AuthorityScope {
  readonly runId: string;
  /** Compared exactly with the granted action (a string, so scopes beyond StepAction also work). */
  readonly action: string;
  readonly system: string;
  readonly identity: string;
  /** When given, the token must be bound to this request digest too. */
  readonly requestDigest?: string;
}

export interface AuthorityVerifier {
  assert(token: string, scope: AuthorityScope): Promise<AuthorityClaims>;
}

const ClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string().min(1),
  aud: z.literal(AUTHORITY_AUDIENCE),
  jti: z.string().min(1),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
  run_id: z.string().min(1),
  req_digest: z.string().min(1),
  grants: z.array(z.strictObject({ action: z.string(), system: z.string(), identity: z.string() })),
});

export function createAuthorityVerifier(options: AuthorityVerifierOptions): AuthorityVerifier {
  if (options.publicKeys.keys.some((k) => typeof k.kid !== 'string' || k.kid === '')) {
    throw new TypeError('every authority public key needs a kid');
  }
  const jwks = createLocalJWKSet({ keys: options.publicKeys.keys.map((k) => ({ ...k })) });
  const own = options.sameProcessIssuer;
  if (own !== undefined && !holdsKey(options.publicKeys.keys, own.publicJwk)) {
    throw new TypeError("the same-process issuer's key is not among the verifier's public keys");
  }
  const tolerance = options.clockToleranceSeconds ?? 0;
  const verified = new VerifiedTokens(options.cacheSize ?? 4096);
  return {
    async assert(token, scope) {
      let claims = verified.get(token);
      if (claims === undefined) {
        claims = await verifyToken(token);
        verified.set(token, claims);
      } else {
        // A remembered token is still checked against the clock, exactly as jose checks it.
        try {
          checkLifetime(claims, Math.floor(options.now().getTime() / 1000), tolerance);
        } catch (e) {
          verified.delete(token);
          throw e;
        }
      }
      checkScope(claims, scope);
      return claims;
    },
  };

  async function verifyToken(token: string): Promise<AuthorityClaims> {
    const minted = own?.mintedHere(token);
    if (minted?.iss === options.issuer) {
      checkLifetime(minted, Math.floor(options.now().getTime() / 1000), tolerance);
      return minted;
    }
    requireKid(token);
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ['EdDSA'],
        issuer: options.issuer,
        audience: AUTHORITY_AUDIENCE,
        typ: AUTHORITY_TYP,
        currentDate: options.now(),
        clockTolerance: tolerance,
        requiredClaims: ['exp', 'nbf', 'iat', 'jti', 'sub'],
      }));
    } catch (cause) {
      throw fromJose(cause);
    }
    const parsed = ClaimsSchema.safeParse(payload);
    if (!parsed.success) throw invalid('claims', 'authority claims are malformed', parsed.error);
    return parsed.data as AuthorityClaims;
  }
}

/**
 * Tokens whose signature, header and claims verified, by their exact compact text: the same text
 * cannot carry another payload or signature, so only the clock remains to be checked on reuse.
 * Bounded: the oldest entries go first; an entry found expired leaves at once.
 */
class VerifiedTokens {
  private readonly map = new Map<string, AuthorityClaims>();

  constructor(private readonly size: number) {}

  get(token: string): AuthorityClaims | undefined {
    return this.map.get(token);
  }

  set(token: string, claims: AuthorityClaims): void {
    if (this.size <= 0 || this.map.has(token)) return;
    if (this.map.size >= this.size) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(token, claims);
  }

  delete(token: string): void {
    this.map.delete(token);
  }
}

/** Whether the JWKS holds exactly this Ed25519 public key under its kid. */
function holdsKey(keys: readonly JWK[], key: JWK): boolean {
  return keys.some((k) => k.kid === key.kid && k.kty === 'OKP' && k.crv === 'Ed25519' && k.x === key.x);
}

/** jose's `nbf` and `exp` checks (RFC 7519 §4.1.4-5), for a token verified earlier. */
function checkLifetime(claims: AuthorityClaims, now: number, tolerance: number): void {
  if (claims.nbf > now + tolerance) {
    throw new CustosError('AUTHORITY_EXPIRED', 'authority is not yet valid', { details: { reason: 'nbf' } });
  }
  if (claims.exp <= now - tolerance) {
    throw new CustosError('AUTHORITY_EXPIRED', 'authority has expired', { details: { reason: 'exp' } });
  }
}

/** For connectors: the authority must be valid and grant exactly this step of this run. */
export function requireAuthority(
  verifier: AuthorityVerifier,
  token: string,
  step: Step,
): Promise<AuthorityClaims> {
  return verifier.assert(token, {
    runId: step.runId,
    action: step.action,
    system: step.system.id,
    identity: step.identity.id,
  });
}

function checkScope(claims: AuthorityClaims, scope: AuthorityScope): void {
  if (claims.run_id !== scope.runId) {
    throw new CustosError('AUTHORITY_SCOPE', 'authority was minted for another run', {
      details: { reason: 'run', runId: scope.runId },
    });
  }
  if (scope.requestDigest !== undefined && claims.req_digest !== scope.requestDigest) {
    throw new CustosError('AUTHORITY_SCOPE', 'authority is bound to another request digest', {
      details: { reason: 'digest' },
    });
  }
  const granted = claims.grants.some(
    (g) => g.action === scope.action && g.system === scope.system && g.identity === scope.identity,
  );
  if (!granted) {
    throw new CustosError(
      'AUTHORITY_SCOPE',
      `authority does not grant ${scope.action} on ${scope.identity}`,
      {
        details: { reason: 'grant', action: scope.action, system: scope.system, identity: scope.identity },
      },
    );
  }
}

function requireKid(token: string): void {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch (cause) {
    throw invalid('malformed', 'authority is not a compact JWS', cause);
  }
  // Without a kid, a one-key JWKS would be tried anyway: insist on explicit key selection.
  if (typeof kid !== 'string' || kid === '') throw invalid('kid', 'authority names no key id');
}

function fromJose(cause: unknown): CustosError {
  if (cause instanceof errors.JWTExpired) {
    return new CustosError('AUTHORITY_EXPIRED', 'authority has expired', {
      cause,
      details: { reason: 'exp' },
    });
  }
  if (cause instanceof errors.JWTClaimValidationFailed && cause.claim === 'nbf') {
    return new CustosError('AUTHORITY_EXPIRED', 'authority is not yet valid', {
      cause,
      details: { reason: 'nbf' },
    });
  }
  if (cause instanceof errors.JOSEError) return invalid(cause.code, 'authority is invalid', cause);
  return invalid('malformed', 'authority is invalid', cause);
}

function invalid(reason: string, message: string, cause?: unknown): CustosError {
  return new CustosError('AUTHORITY_INVALID', message, { cause, details: { reason } });
}
