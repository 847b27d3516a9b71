/**
 * Errors as problem+json (RFC 9457): `type` names the stable code (`urn:custos:error:<CODE>`), the
 * status comes from the one table (./status-table.ts), `detail` is the CustosError's message
 * (written never to hold a secret), and the extensions `code`, `details`, `retryable` — and, for
 * an inventory import or a bundle, every `problems` entry — let a client rebuild the same error.
 * Anything that is not a CustosError is an internal error whose message is never sent.
 */
import { CustosError, isCustosError, type ErrorCode } from '../core/errors.js';
import { STATUS_OF, TITLES } from './status-table.js';

export const PROBLEM_TYPE = 'urn:custos:error:';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly retryable: boolean;
  readonly problems?: readonly unknown[];
}

export function statusOf(code: ErrorCode): number {
  return STATUS_OF[code];
}

export function toProblem(error: unknown, requestId: string): Problem {
  const e = isCustosError(error)
    ? error
    : new CustosError('INTERNAL_ERROR', 'internal error', { retryable: true });
  const status = STATUS_OF[e.code];
  const problems = (e as { problems?: unknown }).problems;
  return {
    type: `${PROBLEM_TYPE}${e.code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: e.message,
    instance: `urn:uuid:${requestId}`,
    code: e.code,
    details: e.details,
    retryable: e.retryable,
    ...(Array.isArray(problems) ? { problems } : {}),
  };
}
