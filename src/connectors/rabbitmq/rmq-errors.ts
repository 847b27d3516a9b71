/**
 * Maps failures of the management API to the connector error vocabulary. Unreachable, timed out,
 * overloaded (429, 5xx) or refusing the admin's login (401 "Login failed": its password may be
 * rotating) is CONNECTOR_UNAVAILABLE and retryable; anything else the broker refuses (400 bad
 * request, 401 "Not administrator user", 404, …) is CONNECTOR_REFUSED and not retryable.
 *
 * Messages carry the method, the path (user and vhost names, no secrets) and the broker's reason,
 * cut short and with anything that looks like a password hash removed: a 400 may quote the body.
 * The admin password is never in a URL (it travels in the Authorization header), so no fetch
 * error can hold it.
 */
import { SOCKET_ERROR_CODES } from '../network-errors.js';
import { CustosError } from '../../core/errors.js';

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function httpError(what: string, status: number, body: unknown): CustosError {
  const reason = reasonOf(body);
  const loginFailed = status === 401 && !/administrator/i.test(reason);
  const retryable = loginFailed || RETRYABLE_STATUS.has(status);
  const code = retryable ? 'CONNECTOR_UNAVAILABLE' : 'CONNECTOR_REFUSED';
  const verb = retryable ? 'unavailable for' : 'refused';
  return new CustosError(code, `RabbitMQ ${verb} ${what}: HTTP ${status} ${reason}`.trimEnd(), {
    retryable,
    details: { status },
  });
}

/** A fetch that never got a response: network failure or timeout (always retryable). */
export function networkError(what: string, error: unknown): CustosError {
  const name = error instanceof Error ? error.name : '';
  const code = codeOf(error);
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const known = timedOut || (code !== undefined && NETWORK_CODES.has(code));
  const why = timedOut ? 'timed out' : known ? code : 'failed';
  return new CustosError('CONNECTOR_UNAVAILABLE', `RabbitMQ unreachable during ${what}: ${why}`, {
    retryable: true,
    details: { code: code ?? null },
    cause: error,
  });
}

/** The system error code of a fetch failure (`fetch failed` wraps it in `cause`). */
export function codeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Object && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function reasonOf(body: unknown): string {
  if (body === null || typeof body !== 'object') return '';
  const { error, reason } = body as { error?: unknown; reason?: unknown };
  const text = [error, reason]
    .filter((v) => v !== undefined)
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join(': ');
  return redact(text).slice(0, 200);
}

/** Never echo a password hash (base64 of 36 bytes) a refused request carried. */
export function redact(text: string): string {
  return text.replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '<redacted>');
}
