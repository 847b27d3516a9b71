/**
 * Whether an issued credential is in force now, and the downstream check of a presented secret.
 * Revocation, supersession and suspension are only known online: a service verifying a JWT offline
 * against the JWKS learns its signature and expiry, and should keep tokens short-lived.
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { fingerprint, type FingerprintKey } from '../../ledger/secrets.js';
import { credentialsByFingerprints } from './token-bulk.js';
import type { CredentialRow, FoundCredential, IdentityRow, TokenStore } from './token-store.js';
import { API_KEY_PREFIX, looksLikeJwt, runOf, type TokenSigningKey } from './token-secrets.js';

export type InvalidReason =
  'malformed' | 'unknown' | 'expired' | 'revoked' | 'superseded' | 'suspended' | 'retired';

export interface PresentedResult {
  readonly valid: boolean;
  readonly system: string | null;
  readonly identity: string | null;
  readonly runId: string | null;
  readonly credentialId: string | null;
  readonly expiresAt: string | null;
  readonly reason?: InvalidReason;
}

/** Why `row` is not in force at `now`, or undefined when it is. */
export function invalidReason(
  row: CredentialRow,
  identity: IdentityRow | undefined,
  now: Date,
): InvalidReason | undefined {
  const at = now.toISOString();
  if (identity === undefined) return 'unknown';
  if (identity.state === 'retired') return 'retired';
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && at >= row.expires_at) return 'expired';
  if (row.superseded_at !== null && (row.grace_until === null || at >= row.grace_until)) return 'superseded';
  if (identity.state === 'suspended') return 'suspended';
  return undefined;
}

export interface PresentedDeps {
  readonly store: TokenStore;
  readonly fingerprintKey: FingerprintKey;
  readonly signingKey: TokenSigningKey;
  readonly now: () => Date;
}

/** Checks a presented secret (attacker-controlled): an API key by fingerprint, a JWT by signature too. */
export async function verifyPresented(deps: PresentedDeps, presented: string): Promise<PresentedResult> {
  const now = deps.now();
  const seen = await inspect(deps, presented, now);
  if (!('fingerprint' in seen)) return seen;
  const found = await deps.store.statement(() => deps.store.credentialByFingerprint(seen.fingerprint));
  return judge(found, seen.payload, now);
}

/**
 * Many presented secrets, their credentials looked up in one statement. The caller holds the
 * store's connection (inside TokenStore.serial).
 */
export async function verifyPresentedMany(
  deps: PresentedDeps,
  presented: readonly string[],
): Promise<PresentedResult[]> {
  const now = deps.now();
  const seen = await Promise.all(presented.map((p) => inspect(deps, p, now)));
  const fingerprints = seen.flatMap((s) => ('fingerprint' in s ? [s.fingerprint] : []));
  const found =
    fingerprints.length === 0
      ? new Map<string, FoundCredential>()
      : await credentialsByFingerprints(deps.store.conn, fingerprints);
  return seen.map((s) => ('fingerprint' in s ? judge(found.get(s.fingerprint), s.payload, now) : s));
}

type Inspected = { readonly fingerprint: string; readonly payload: JWTPayload | undefined } | PresentedResult;

/** What can be told without the store: the form, and a JWT's signature and payload. */
async function inspect(deps: PresentedDeps, presented: string, now: Date): Promise<Inspected> {
  let payload: JWTPayload | undefined;
  if (!presented.startsWith(API_KEY_PREFIX)) {
    if (!looksLikeJwt(presented)) return invalid('malformed');
    try {
      ({ payload } = await jwtVerify(presented, deps.signingKey.publicKey, {
        algorithms: ['EdDSA'],
        currentDate: now,
      }));
    } catch (e) {
      if (!(e instanceof errors.JWTExpired)) return invalid('unknown');
      payload = e.payload;
    }
  }
  return { fingerprint: fingerprint(deps.fingerprintKey, presented), payload };
}

/** The verdict on a credential found by the presented secret's fingerprint. */
function judge(
  found: FoundCredential | undefined,
  payload: JWTPayload | undefined,
  now: Date,
): PresentedResult {
  if (found === undefined) return invalid('unknown');
  const { credential: row, identity } = found;
  const reason = invalidReason(row, identity, now);
  return {
    valid: reason === undefined,
    system: row.system_id,
    identity: row.identity_id,
    runId: payload !== undefined ? runOf(payload) : row.run_id,
    credentialId: row.credential_id,
    expiresAt: row.expires_at,
    ...(reason !== undefined ? { reason } : {}),
  };
}

function invalid(reason: InvalidReason): PresentedResult {
  return {
    valid: false,
    system: null,
    identity: null,
    runId: null,
    credentialId: null,
    expiresAt: null,
    reason,
  };
}
