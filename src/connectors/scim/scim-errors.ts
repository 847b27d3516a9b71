/**
 * Maps SCIM failures to the connector error vocabulary (RFC 7644 §3.12): no answer, a timeout, 429
 * and 5xx (but 501, which will not heal) are CONNECTOR_UNAVAILABLE and retryable; any other 4xx is
 * CONNECTOR_REFUSED and not retryable. Details carry the status, the SCIM `scimType` and the
 * service's `detail` — with every secret the request carried cut out first (a service may echo the
 * offending value) and cut short, since it is the service's text.
 */
import { CustosError } from '../../core/errors.js';

export interface FailureContext {
  /** `PATCH /Users/{id}`: method and path pattern, never values. */
  readonly what: string;
  /** Values sent in this request that must never appear in an error (passwords). */
  readonly redact: readonly string[];
}

export function networkError(error: unknown, ctx: FailureContext): CustosError {
  const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  const why = timeout ? 'timed out' : `got no answer${code === null ? '' : ` (${code})`}`;
  return new CustosError('CONNECTOR_UNAVAILABLE', `SCIM ${ctx.what} ${why}`, {
    cause: error,
    retryable: true,
    details: { request: ctx.what, network: code ?? (timeout ? 'timeout' : 'unknown') },
  });
}

export function httpError(
  status: number,
  body: unknown,
  ctx: FailureContext,
  retryAfterSeconds: number | null,
): CustosError {
  const { scimType, detail } = scimErrorOf(body, ctx.redact);
  const retryable = status === 429 || (status >= 500 && status !== 501);
  const text = `SCIM ${ctx.what} answered ${status}${scimType === null ? '' : ` ${scimType}`}${
    detail === null ? '' : `: ${detail}`
  }`;
  return new CustosError(retryable ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REFUSED', text, {
    retryable,
    details: { request: ctx.what, status, scimType, detail, retryAfterSeconds },
  });
}

/** The error message body of RFC 7644 §3.12, tolerant of services that send something else. */
function scimErrorOf(
  body: unknown,
  redact: readonly string[],
): { scimType: string | null; detail: string | null } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const scimType = typeof b['scimType'] === 'string' ? clean(b['scimType'], redact, 40) : null;
  const detail = typeof b['detail'] === 'string' ? clean(b['detail'], redact, 300) : null;
  return { scimType, detail };
}

/** Removes every redacted value (and control characters), then cuts to `max` characters. */
export function clean(text: string, redact: readonly string[], max: number): string {
  let out = text;
  for (const secret of redact) if (secret !== '') out = out.split(secret).join('<redacted>');
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); null when absent or unusable. */
export function retryAfterOf(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
