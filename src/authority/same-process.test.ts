/**
 * A verifier wired with the issuer of its own process (AuthorityVerifierOptions.sameProcessIssuer):
 * the issuer's tokens are taken by their exact text without a second signature verification, and
 * everything else is checked as before.
 */
import { base64url } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCustosError, type ErrorCode } from '../core/errors.js';
import {
  authorityJwks,
  createAuthorityIssuer,
  createAuthorityVerifier,
  generateAuthorityKey,
  type AuthorityIssuer,
  type AuthorityScope,
  type MintRequest,
} from './index.js';

const T0 = new Date('2025-06-01T12:00:00Z');
const ISSUER = 'custos:test';
const key = await generateAuthorityKey();
const request: MintRequest = {
  runId: 'run:1',
  requestDigest: 'sha256:' + 'ab'.repeat(32),
  executor: 'executor:tokens',
  grants: [{ action: 'create', system: 'tokens', identity: 'deploy' }],
  ttlSeconds: 300,
};
const scope: AuthorityScope = { runId: 'run:1', action: 'create', system: 'tokens', identity: 'deploy' };

function issuerOf(
  options: { name?: string; rememberMinted?: number; privateJwk?: typeof key.privateJwk } = {},
) {
  return createAuthorityIssuer({
    privateKey: options.privateJwk ?? key.privateJwk,
    kid: key.kid,
    issuer: options.name ?? ISSUER,
    now: () => T0,
    ...(options.rememberMinted === undefined ? {} : { rememberMinted: options.rememberMinted }),
  });
}

function verifierOf(own: AuthorityIssuer, at: () => Date = () => new Date(T0.getTime() + 10_000)) {
  return createAuthorityVerifier({
    publicKeys: authorityJwks([key]),
    issuer: ISSUER,
    now: at,
    sameProcessIssuer: own,
    cacheSize: 0, // every call reaches the check under test
  });
}

/** Counts the signature verifications jose makes (WebCrypto's verify). */
function countVerifications(): { readonly count: () => number } {
  const spy = vi.spyOn(globalThis.crypto.subtle, 'verify');
  return { count: () => spy.mock.calls.length };
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, reason?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCustosError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (reason !== undefined && isCustosError(err)) expect(err.details['reason']).toBe(reason);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a verifier wired with the issuer of its own process', () => {
  it("takes the issuer's own tokens without verifying their signature again, and others in full", async () => {
    const own = issuerOf();
    const verifier = verifierOf(own);
    const verifications = countVerifications();
    const token = await own.mint(request);
    await expect(verifier.assert(token, scope)).resolves.toMatchObject({ run_id: 'run:1', iss: ISSUER });
    expect(verifications.count()).toBe(0);
    // The same key in another issuer (another process): its token is verified, and accepted.
    const elsewhere = await issuerOf().mint(request);
    await expect(verifier.assert(elsewhere, scope)).resolves.toMatchObject({ run_id: 'run:1' });
    expect(verifications.count()).toBe(1);
  });

  it('still holds its own tokens to their scope and lifetime', async () => {
    const own = issuerOf();
    let at = new Date(T0.getTime() + 10_000);
    const verifier = verifierOf(own, () => at);
    const token = await own.mint(request);
    await expectCode(verifier.assert(token, { ...scope, runId: 'run:2' }), 'AUTHORITY_SCOPE', 'run');
    await expectCode(verifier.assert(token, { ...scope, action: 'retire' }), 'AUTHORITY_SCOPE', 'grant');
    at = new Date(T0.getTime() + 301_000);
    await expectCode(verifier.assert(token, scope), 'AUTHORITY_EXPIRED', 'exp');
    at = new Date(T0.getTime() - 60_000);
    await expectCode(verifier.assert(token, scope), 'AUTHORITY_EXPIRED', 'nbf');
  });

  it('verifies in full anything but the exact text it minted: a tampered payload or signature, a forgery', async () => {
    const own = issuerOf();
    const verifier = verifierOf(own);
    const token = await own.mint(request);
    const [h, p, s] = token.split('.');
    const widened = JSON.parse(new TextDecoder().decode(base64url.decode(p!))) as Record<string, unknown>;
    widened['grants'] = [...request.grants, { action: 'retire', system: 'tokens', identity: 'deploy' }];
    const tampered = `${h!}.${base64url.encode(JSON.stringify(widened))}.${s!}`;
    await expectCode(verifier.assert(tampered, { ...scope, action: 'retire' }), 'AUTHORITY_INVALID');
    const flipped = Buffer.from(base64url.decode(s!));
    flipped[0] = flipped[0]! ^ 1;
    await expectCode(verifier.assert(`${h!}.${p!}.${base64url.encode(flipped)}`, scope), 'AUTHORITY_INVALID');
    const forger = issuerOf({ privateJwk: (await generateAuthorityKey()).privateJwk });
    await expectCode(verifier.assert(await forger.mint(request), scope), 'AUTHORITY_INVALID');
  });

  it('refuses to be wired with an issuer whose key it does not hold, and ignores one of another name', async () => {
    const stranger = issuerOf({ privateJwk: (await generateAuthorityKey()).privateJwk });
    expect(() => verifierOf(stranger)).toThrow(TypeError);
    // Same key, another issuer name: its tokens are verified in full, and refused for their `iss`.
    const renamed = issuerOf({ name: 'custos:other' });
    const verifier = verifierOf(renamed);
    await expectCode(verifier.assert(await renamed.mint(request), scope), 'AUTHORITY_INVALID');
  });

  it('remembers the last tokens it minted only: an older one is verified in full', async () => {
    const own = issuerOf({ rememberMinted: 2 });
    const verifier = verifierOf(own);
    const first = await own.mint(request);
    await own.mint(request);
    await own.mint(request);
    expect(own.mintedHere(first)).toBeUndefined();
    const verifications = countVerifications();
    await expect(verifier.assert(first, scope)).resolves.toBeDefined();
    expect(verifications.count()).toBe(1);
  });
});
