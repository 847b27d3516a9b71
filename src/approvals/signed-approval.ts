/**
 * Signed approvals: an approver's Ed25519 signature over the canonical JSON (RFC 8785) of every
 * other field of the approval, `signature` removed. The ledger keeps the whole object so an auditor
 * can verify it offline with the registered public key. Approvals arrive from outside: everything
 * in them is attacker-controlled until verifyApproval returns.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { canonicalize } from '../core/canonical-json.js';
import { CustosError } from '../core/errors.js';
import { approverPublicKey, type ApproverKey } from './approver-keys.js';

export type ApprovalDecision = 'approve' | 'deny';

export interface SignedApproval {
  readonly v: 1;
  readonly principal: string;
  readonly key_id: string;
  readonly run_id: string;
  readonly digest: string;
  readonly decision: ApprovalDecision;
  readonly rationale: string;
  /** RFC 3339 UTC, as the approver's clock says. */
  readonly signed_at: string;
  /** Base64 Ed25519 signature over canonicalize(approval without `signature`). */
  readonly signature: string;
}

export interface SignApprovalInput {
  readonly privateKeyPem: string;
  readonly keyId: string;
  readonly principal: string;
  readonly runId: string;
  readonly digest: string;
  readonly decision: ApprovalDecision;
  readonly rationale: string;
  readonly signedAt: Date;
}

export function signApproval(input: SignApprovalInput): SignedApproval {
  const unsigned = {
    v: 1 as const,
    principal: input.principal,
    key_id: input.keyId,
    run_id: input.runId,
    digest: input.digest,
    decision: input.decision,
    rationale: input.rationale,
    signed_at: input.signedAt.toISOString(),
  };
  const key = crypto.createPrivateKey(input.privateKeyPem);
  const signature = crypto.sign(null, Buffer.from(canonicalize(unsigned), 'utf8'), key).toString('base64');
  return { ...unsigned, signature };
}

const ApprovalSchema = z.strictObject({
  v: z.literal(1),
  principal: z.string().min(1),
  key_id: z.string().min(1),
  run_id: z.string().min(1),
  digest: z.string().min(1),
  decision: z.enum(['approve', 'deny']),
  rationale: z.string().max(4000),
  signed_at: z.iso.datetime(),
  signature: z.base64(),
});

export interface VerifyApprovalOptions {
  readonly keys: (keyId: string) => ApproverKey | undefined;
  readonly expectedDigest: string;
  readonly expectedRunId: string;
  readonly now: () => Date;
  /** Refuse approvals signed longer ago than this (and any dated in the future beyond it). */
  readonly maxAgeSeconds?: number;
}

/** Returns the approval, parsed, once its key, signature and binding all check out. */
export function verifyApproval(approval: unknown, options: VerifyApprovalOptions): SignedApproval {
  const parsed = ApprovalSchema.safeParse(approval);
  if (!parsed.success) throw failed('malformed', 'approval is malformed');
  const { signature, ...unsigned } = parsed.data;
  const key = options.keys(unsigned.key_id);
  const now = options.now();
  if (key === undefined || key.principal !== unsigned.principal) {
    throw unknownKey(key === undefined ? 'unknown' : 'principal', unsigned.key_id);
  }
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= now.getTime()) {
    throw unknownKey('revoked', unsigned.key_id);
  }
  const ok = crypto.verify(
    null,
    Buffer.from(canonicalize(unsigned), 'utf8'),
    approverPublicKey(key.publicKey),
    Buffer.from(signature, 'base64'),
  );
  if (!ok) throw failed('signature', 'approval signature does not verify');
  if (unsigned.run_id !== options.expectedRunId) throw failed('run', 'approval was signed for another run');
  if (unsigned.digest !== options.expectedDigest) {
    throw failed('digest', 'approval was signed over another request or decision');
  }
  checkTime(Date.parse(unsigned.signed_at), key, now, options.maxAgeSeconds);
  return parsed.data;
}

function checkTime(signedAt: number, key: ApproverKey, now: Date, maxAgeSeconds: number | undefined): void {
  if (signedAt < Date.parse(key.registeredAt)) throw failed('time', 'approval predates its key');
  if (maxAgeSeconds === undefined) return;
  const age = (now.getTime() - signedAt) / 1000;
  if (age > maxAgeSeconds || age < -maxAgeSeconds) {
    throw new CustosError('APPROVAL_EXPIRED', 'approval is too old or dated in the future', {
      details: { ageSeconds: Math.round(age) },
    });
  }
}

function failed(reason: string, message: string): CustosError {
  return new CustosError('SIGNATURE_INVALID', message, { details: { reason } });
}

function unknownKey(reason: string, keyId: string): CustosError {
  return new CustosError('APPROVER_KEY_UNKNOWN', `approver key ${keyId} is not usable (${reason})`, {
    details: { reason, keyId },
  });
}
