import crypto from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Step } from '../connectors/contract.js';
import { isCustosError, type ErrorCode } from '../core/errors.js';
import {
  authorityJwks,
  createAuthorityIssuer,
  createAuthorityVerifier,
  generateAuthorityKey,
  requireAuthority,
  type AuthorityScope,
  type MintRequest,
} from './index.js';

const T0 = new Date('2025-06-01T12:00:00Z');
const ISSUER = 'custos:test';
const key = await generateAuthorityKey();
const clock = (d: Date) => () => d;
const issuer = createAuthorityIssuer({
  privateKey: key.privateJwk,
  kid: key.kid,
  issuer: ISSUER,
  now: clock(T0),
});
const verifierAt = (at: Date) =>
  createAuthorityVerifier({ publicKeys: authorityJwks([key]), issuer: ISSUER, now: clock(at) });
const verifier = verifierAt(new Date(T0.getTime() + 10_000));

const request: MintRequest = {
  runId: 'run:1',
  requestDigest: 'sha256:' + 'ab'.repeat(32),
  executor: 'executor:postgres-service-accounts',
  grants: [{ action: 'create', system: 'pg-prod', identity: 'svc-reports' }],
  ttlSeconds: 300,
};
const scope: AuthorityScope = {
  runId: 'run:1',
  action: 'create',
  system: 'pg-prod',
  identity: 'svc-reports',
};

async function expectCode(p: Promise<unknown>, code: ErrorCode, reason?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCustosError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (reason !== undefined && isCustosError(err)) expect(err.details['reason']).toBe(reason);
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1]!))) as Record<
    string,
    unknown
  >;
}

describe('delegated authority', () => {
  it('is accepted for exactly its step and carries the documented claims', async () => {
    const token = await issuer.mint(request);
    const claims = await verifier.assert(token, scope);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'executor:postgres-service-accounts',
      aud: 'custos-connector',
      run_id: 'run:1',
      req_digest: request.requestDigest,
      grants: request.grants,
      iat: T0.getTime() / 1000,
      nbf: T0.getTime() / 1000,
      exp: T0.getTime() / 1000 + 300,
    });
    await verifier.assert(token, { ...scope, requestDigest: request.requestDigest });
    const other = await issuer.mint(request);
    expect(claimsOf(other)['jti']).not.toBe(claims.jti);
  });

  it('accepts a KeyObject private key and serves requireAuthority for a matching step', async () => {
    const pair = crypto.generateKeyPairSync('ed25519');
    const pub = pair.publicKey.export({ format: 'jwk' });
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: pub.x!, kid: 'k2' };
    const iss = createAuthorityIssuer({
      privateKey: pair.privateKey,
      kid: 'k2',
      issuer: ISSUER,
      now: clock(T0),
    });
    const ver = createAuthorityVerifier({ publicKeys: { keys: [jwk] }, issuer: ISSUER, now: clock(T0) });
    const step: Step = {
      runId: 'run:1',
      stepId: 's1',
      action: 'create',
      system: { id: 'pg-prod', type: 'postgres', environment: 'prod', connection: {} },
      identity: { id: 'svc-reports', kind: 'service_account', externalId: 'svc_reports' },
      params: {},
    };
    const token = await iss.mint(request);
    await expect(requireAuthority(ver, token, step)).resolves.toMatchObject({ run_id: 'run:1' });
    await expectCode(requireAuthority(ver, token, { ...step, action: 'grant' }), 'AUTHORITY_SCOPE', 'grant');
  });

  it('expires with the step timeout, within the clock tolerance only', async () => {
    const token = await issuer.mint(request);
    await expectCode(
      verifierAt(new Date(T0.getTime() + 301_000)).assert(token, scope),
      'AUTHORITY_EXPIRED',
      'exp',
    );
    const tolerant = createAuthorityVerifier({
      publicKeys: authorityJwks([key]),
      issuer: ISSUER,
      now: clock(new Date(T0.getTime() + 301_000)),
      clockToleranceSeconds: 5,
    });
    await expect(tolerant.assert(token, scope)).resolves.toBeDefined();
  });

  it('is not valid before it was minted', async () => {
    const token = await issuer.mint(request);
    await expectCode(
      verifierAt(new Date(T0.getTime() - 60_000)).assert(token, scope),
      'AUTHORITY_EXPIRED',
      'nbf',
    );
  });

  it('rejects a token forged with another key under the same kid', async () => {
    const forger = await generateAuthorityKey();
    const forged = createAuthorityIssuer({
      privateKey: forger.privateJwk,
      kid: key.kid,
      issuer: ISSUER,
      now: clock(T0),
    });
    await expectCode(verifier.assert(await forged.mint(request), scope), 'AUTHORITY_INVALID');
  });

  it('rejects an unknown kid, a missing kid, a wrong issuer and a wrong audience', async () => {
    const other = await generateAuthorityKey();
    const unknown = createAuthorityIssuer({
      privateKey: other.privateJwk,
      kid: other.kid,
      issuer: ISSUER,
      now: clock(T0),
    });
    await expectCode(verifier.assert(await unknown.mint(request), scope), 'AUTHORITY_INVALID');
    const wrongIss = createAuthorityIssuer({
      privateKey: key.privateJwk,
      kid: key.kid,
      issuer: 'evil',
      now: clock(T0),
    });
    await expectCode(verifier.assert(await wrongIss.mint(request), scope), 'AUTHORITY_INVALID');
    const base = claimsOf(await issuer.mint(request));
    const signWith = (header: Record<string, unknown>, payload: Record<string, unknown>) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .sign(crypto.createPrivateKey({ key: key.privateJwk as crypto.JsonWebKey, format: 'jwk' }));
    const typ = 'custos-authority+jwt';
    await expectCode(verifier.assert(await signWith({ typ }, base), scope), 'AUTHORITY_INVALID', 'kid');
    await expectCode(
      verifier.assert(await signWith({ typ, kid: key.kid }, { ...base, aud: 'x' }), scope),
      'AUTHORITY_INVALID',
    );
    await expectCode(
      verifier.assert(await signWith({ kid: key.kid, typ: 'JWT' }, base), scope),
      'AUTHORITY_INVALID',
    );
    await expectCode(
      verifier.assert(await signWith({ typ, kid: key.kid }, { ...base, grants: 'all' }), scope),
      'AUTHORITY_INVALID',
      'claims',
    );
  });

  it('rejects alg none and HS256 (the public key used as an HMAC secret)', async () => {
    const payload = claimsOf(await issuer.mint(request));
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const none = `${enc({ alg: 'none', kid: key.kid, typ: 'custos-authority+jwt' })}.${enc(payload)}.`;
    await expectCode(verifier.assert(none, scope), 'AUTHORITY_INVALID');
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'custos-authority+jwt' })
      .sign(secret);
    await expectCode(verifier.assert(hs, scope), 'AUTHORITY_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED');
    await expectCode(verifier.assert('not-a-jwt', scope), 'AUTHORITY_INVALID', 'malformed');
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await issuer.mint(request)).split('.');
    const payload = claimsOf(await issuer.mint(request));
    const widened = {
      ...payload,
      grants: [...request.grants, { action: 'grant', system: 'pg-prod', identity: 'svc-reports' }],
    };
    const tampered = `${h!}.${base64url.encode(JSON.stringify(widened))}.${s!}`;
    await expectCode(verifier.assert(tampered, { ...scope, action: 'grant' }), 'AUTHORITY_INVALID');
  });

  it('refuses another run, another digest and every ungranted action, system or identity', async () => {
    const token = await issuer.mint(request);
    await expectCode(verifier.assert(token, { ...scope, runId: 'run:2' }), 'AUTHORITY_SCOPE', 'run');
    await expectCode(
      verifier.assert(token, { ...scope, requestDigest: 'sha256:00' }),
      'AUTHORITY_SCOPE',
      'digest',
    );
    await expectCode(verifier.assert(token, { ...scope, action: 'retire' }), 'AUTHORITY_SCOPE', 'grant');
    await expectCode(verifier.assert(token, { ...scope, system: 'pg-dev' }), 'AUTHORITY_SCOPE', 'grant');
    await expectCode(verifier.assert(token, { ...scope, identity: 'svc-other' }), 'AUTHORITY_SCOPE', 'grant');
  });

  it('remembers a verified token, yet still holds it to its lifetime and never to another signature', async () => {
    let at = new Date(T0.getTime() - 60_000);
    const ver = createAuthorityVerifier({ publicKeys: authorityJwks([key]), issuer: ISSUER, now: () => at });
    const token = await issuer.mint(request);
    await expectCode(ver.assert(token, scope), 'AUTHORITY_EXPIRED', 'nbf');
    at = new Date(T0.getTime() + 10_000);
    await expect(ver.assert(token, scope)).resolves.toMatchObject({ run_id: 'run:1' });
    // Remembered now: the scope is still checked on every call, and the clock too.
    await expectCode(ver.assert(token, { ...scope, identity: 'svc-other' }), 'AUTHORITY_SCOPE', 'grant');
    at = new Date(T0.getTime() + 301_000);
    await expectCode(ver.assert(token, scope), 'AUTHORITY_EXPIRED', 'exp');
    at = new Date(T0.getTime() + 10_000);
    await expect(ver.assert(token, scope)).resolves.toBeDefined();
    // Another signature on the same header and payload is verified afresh (and fails).
    const [h, p, s] = token.split('.');
    const flipped = Buffer.from(base64url.decode(s!));
    flipped[0] = flipped[0]! ^ 1;
    await expectCode(ver.assert(`${h!}.${p!}.${base64url.encode(flipped)}`, scope), 'AUTHORITY_INVALID');
  });

  it('treats misuse by the engine as a TypeError', async () => {
    await expect(issuer.mint({ ...request, ttlSeconds: 0 })).rejects.toThrow(TypeError);
    await expect(issuer.mint({ ...request, ttlSeconds: 10 ** 9 })).rejects.toThrow(TypeError);
    await expect(issuer.mint({ ...request, grants: [] })).rejects.toThrow(TypeError);
    expect(() =>
      createAuthorityIssuer({ privateKey: key.publicJwk, kid: 'k', issuer: ISSUER, now: clock(T0) }),
    ).toThrow(TypeError);
    expect(() =>
      createAuthorityVerifier({ publicKeys: { keys: [{ kty: 'OKP' }] }, issuer: ISSUER, now: clock(T0) }),
    ).toThrow(TypeError);
  });
});
