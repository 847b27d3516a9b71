import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { isCustosError, type ErrorCode } from '../core/errors.js';
import type { PlainRequest } from '../workflows/index.js';
import {
  approverKeyId,
  generateApproverKey,
  requestDigest,
  signApproval,
  verifyApproval,
  type ApproverKey,
  type DigestInput,
  type SignedApproval,
} from './index.js';

const request: PlainRequest = {
  principal: 'person:alice',
  action: 'grant',
  resource: { identity: 'svc-reports' },
  context: { entitlements: ['SELECT reports'], justification: 'monthly reports' },
};
const input: DigestInput = {
  runId: 'run:1',
  request,
  decision: {
    allowed: true,
    riskTier: 'high',
    route: { name: 'dba-and-security' },
    determiningPolicies: ['grant-prod'],
    bundleHash: 'sha256:' + '11'.repeat(32),
  },
};

describe('request digest', () => {
  it('is stable, documented, and independent of member order', () => {
    const d = requestDigest(input);
    expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
    const reordered = {
      ...input,
      request: {
        context: request.context!,
        resource: request.resource,
        action: 'grant' as const,
        principal: 'person:alice',
      },
    };
    expect(requestDigest(reordered)).toBe(d);
    expect(requestDigest({ ...input, decision: { ...input.decision, route: 'dba-and-security' } })).toBe(d);
  });

  it('changes when any request or decision field changes', () => {
    const d = requestDigest(input);
    const variants: DigestInput[] = [
      { ...input, runId: 'run:2' },
      { ...input, request: { ...request, principal: 'person:bob' } },
      { ...input, request: { ...request, action: 'revoke' } },
      { ...input, request: { ...request, resource: { identity: 'svc-other' } } },
      { ...input, request: { ...request, context: { entitlements: ['ALL'] } } },
      { ...input, decision: { ...input.decision, allowed: false } },
      { ...input, decision: { ...input.decision, riskTier: 'critical' } },
      { ...input, decision: { ...input.decision, route: 'auto' } },
      { ...input, decision: { ...input.decision, determiningPolicies: ['other'] } },
      { ...input, decision: { ...input.decision, bundleHash: 'sha256:' + '22'.repeat(32) } },
    ];
    const digests = new Set(variants.map(requestDigest));
    expect(digests.size).toBe(variants.length);
    expect(digests.has(d)).toBe(false);
  });
});

describe('signed approvals', () => {
  const T = new Date('2025-06-01T12:00:00Z');
  const alice = generateApproverKey('person:dana');
  const registered: ApproverKey = {
    principal: 'person:dana',
    keyId: alice.keyId,
    publicKey: alice.publicKey,
    registeredAt: '2025-01-01T00:00:00Z',
  };
  const keys = (id: string) => (id === registered.keyId ? registered : undefined);
  const digest = requestDigest(input);
  const sign = (over: Partial<Parameters<typeof signApproval>[0]> = {}) =>
    signApproval({
      privateKeyPem: alice.privateKeyPem,
      keyId: alice.keyId,
      principal: 'person:dana',
      runId: 'run:1',
      digest,
      decision: 'approve',
      rationale: 'least privilege checked',
      signedAt: T,
      ...over,
    });
  const opts = { keys, expectedDigest: digest, expectedRunId: 'run:1', now: () => T };
  const expectCode = (f: () => unknown, code: ErrorCode, reason?: string) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(isCustosError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
    if (reason !== undefined && isCustosError(err)) expect(err.details['reason']).toBe(reason);
  };

  it('uses the RFC 7638 thumbprint as key id', async () => {
    const x = Buffer.from(alice.publicKey, 'base64').toString('base64url');
    expect(alice.keyId).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }));
    expect(approverKeyId(alice.publicKey)).toBe(alice.keyId);
    expectCode(() => approverKeyId('AAAA'), 'KEY_MALFORMED');
  });

  it('verifies a genuine approval and returns it', () => {
    const approval = sign();
    expect(verifyApproval(JSON.parse(JSON.stringify(approval)), opts)).toEqual(approval);
  });

  it('rejects altered fields, a forged signature and malformed input', () => {
    const approval = sign();
    expectCode(
      () => verifyApproval({ ...approval, rationale: 'lgtm' }, opts),
      'SIGNATURE_INVALID',
      'signature',
    );
    expectCode(
      () => verifyApproval({ ...approval, decision: 'deny' }, opts),
      'SIGNATURE_INVALID',
      'signature',
    );
    expectCode(
      () => verifyApproval({ ...approval, signed_at: '2025-06-01T12:00:01.000Z' }, opts),
      'SIGNATURE_INVALID',
    );
    const mallory = generateApproverKey('person:dana');
    const forged = signApproval({
      ...approval,
      privateKeyPem: mallory.privateKeyPem,
      keyId: alice.keyId,
      runId: 'run:1',
      signedAt: T,
    });
    expectCode(() => verifyApproval(forged, opts), 'SIGNATURE_INVALID', 'signature');
    expectCode(() => verifyApproval({ ...approval, extra: 1 }, opts), 'SIGNATURE_INVALID', 'malformed');
    expectCode(() => verifyApproval('approve', opts), 'SIGNATURE_INVALID', 'malformed');
  });

  it('rejects an approval replayed to another run or another request', () => {
    const approval = sign();
    expectCode(
      () => verifyApproval(approval, { ...opts, expectedRunId: 'run:2' }),
      'SIGNATURE_INVALID',
      'run',
    );
    const other = requestDigest({ ...input, decision: { ...input.decision, riskTier: 'low' } });
    expectCode(
      () => verifyApproval(approval, { ...opts, expectedDigest: other }),
      'SIGNATURE_INVALID',
      'digest',
    );
  });

  it('rejects unknown, revoked and other principals\u2019 keys', () => {
    const approval: SignedApproval = sign();
    expectCode(
      () => verifyApproval(approval, { ...opts, keys: () => undefined }),
      'APPROVER_KEY_UNKNOWN',
      'unknown',
    );
    const revoked = { ...registered, revokedAt: '2025-05-01T00:00:00Z' };
    expectCode(
      () => verifyApproval(approval, { ...opts, keys: () => revoked }),
      'APPROVER_KEY_UNKNOWN',
      'revoked',
    );
    const stolen = { ...registered, principal: 'person:erin' };
    expectCode(
      () => verifyApproval(approval, { ...opts, keys: () => stolen }),
      'APPROVER_KEY_UNKNOWN',
      'principal',
    );
    const impersonation = sign({ principal: 'person:erin' });
    expectCode(() => verifyApproval(impersonation, opts), 'APPROVER_KEY_UNKNOWN', 'principal');
  });

  it('rejects approvals predating their key, too old, or from the future', () => {
    expectCode(
      () => verifyApproval(sign({ signedAt: new Date('2024-01-01T00:00:00Z') }), opts),
      'SIGNATURE_INVALID',
      'time',
    );
    const aged = { ...opts, maxAgeSeconds: 3600 };
    expect(verifyApproval(sign({ signedAt: new Date(T.getTime() - 3000_000) }), aged)).toBeDefined();
    expectCode(
      () => verifyApproval(sign({ signedAt: new Date(T.getTime() - 7200_000) }), aged),
      'APPROVAL_EXPIRED',
    );
    expectCode(
      () => verifyApproval(sign({ signedAt: new Date(T.getTime() + 7200_000) }), aged),
      'APPROVAL_EXPIRED',
    );
  });
});
