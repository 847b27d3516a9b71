/**
 * What every operation on one step needs: the service client and its capabilities, the parsed
 * step (userName, group entitlements), the clock and the fingerprint key; plus the checks shared
 * by apply, rollback and verify.
 */
import crypto from 'node:crypto';
import { CustosError } from '../../core/errors.js';
import type { FingerprintKey } from '../../ledger/secrets.js';
import type { Step } from '../contract.js';
import type { ScimClient } from './scim-http.js';
import type { ServiceCapabilities } from './scim-service.js';
import type { ScimUser } from './scim-users.js';

export interface StepContext {
  readonly client: ScimClient;
  readonly caps: ServiceCapabilities;
  readonly step: Step;
  readonly userName: string;
  /** The step's group entitlements; undefined when it names none. */
  readonly groups: readonly string[] | undefined;
  readonly now: Date;
  readonly key: FingerprintKey;
}

/** How often a read-decide-write is attempted when the service reports a concurrent change. */
export const ATTEMPTS = 3;

/** Custos changes only accounts whose journal names this system and identity (never a person's). */
export function isManaged(ctx: StepContext, user: ScimUser): boolean {
  return user.journal?.system === ctx.step.system.id && user.journal.identity === ctx.step.identity.id;
}

export function assertManaged(ctx: StepContext, user: ScimUser): void {
  if (!isManaged(ctx, user)) {
    throw new CustosError(
      'TARGET_STATE_MISMATCH',
      `SCIM user ${ctx.userName} is not managed by Custos for ${ctx.step.system.id}/${ctx.step.identity.id}`,
    );
  }
}

/**
 * Step parameters the target cannot honour are refused, never dropped: SCIM holds one password
 * per user (no rotation overlap) and has no password expiry (no ttlSeconds).
 */
export function assertParams(step: Step): void {
  const overlap = step.params['overlapSeconds'];
  if (overlap !== undefined && overlap !== 0) {
    throw new CustosError(
      'CONNECTOR_REFUSED',
      'SCIM holds one password per user: a rotation overlap is not possible (overlapSeconds must be 0)',
    );
  }
  if (step.params['ttlSeconds'] !== undefined && (step.action === 'create' || step.action === 'rotate')) {
    throw new CustosError(
      'CONNECTOR_REFUSED',
      'SCIM has no password expiry: the service cannot enforce ttlSeconds, so it is refused rather than ignored',
    );
  }
}

export function conflict(ctx: StepContext): CustosError {
  return new CustosError(
    'CONNECTOR_REFUSED',
    `SCIM user ${ctx.userName} changed concurrently ${ATTEMPTS} times during ${ctx.step.action}`,
    { retryable: true, details: { status: 412 } },
  );
}

/**
 * A password of 192 random bits (base64url, 32 characters) that also contains a lower-case and an
 * upper-case letter, a digit and a symbol, so that services with complexity rules accept it.
 */
export function newPassword(): string {
  for (;;) {
    const value = crypto.randomBytes(24).toString('base64url');
    if (/[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value) && /[-_]/.test(value)) return value;
  }
}
