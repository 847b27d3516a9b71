/**
 * Maps failures of the admin connection to the connector error vocabulary. An unreachable server, a
 * timeout, a full server (`max number of clients reached`) or one still loading is
 * CONNECTOR_UNAVAILABLE and retryable; a refused admin login (WRONGPASS, NOAUTH), a missing admin
 * privilege (NOPERM) and any other error reply are CONNECTOR_REFUSED and not retryable: retrying
 * cannot fix a wrong password or a missing grant.
 *
 * Error replies may quote the rule that failed (`Error in ACL SETUSER modifier '#…'`): password
 * hashes are cut out of every message, although they are hashes, never passwords.
 */
import { SOCKET_ERROR_CODES } from '../network-errors.js';
import { CustosError, isCustosError } from '../../core/errors.js';

const NETWORK_CODES = new Set(SOCKET_ERROR_CODES);
const UNREACHABLE =
  /Connection is closed|Command timed out|Socket closed unexpectedly|Stream isn't writeable/i;
const BUSY_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b|max number of clients reached/;
const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b/;

/** Never echo a password hash a command carried. */
export function redact(message: string): string {
  return message.replace(/[0-9a-f]{64}/g, '<sha256>');
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `connectionError` is the last 'error' event of the admin client: ioredis rejects a failed
 * connect with a bare "Connection is closed", the cause (ECONNREFUSED, WRONGPASS) is only emitted.
 */
export function toConnectorError(error: unknown, what: string, connectionError?: Error): CustosError {
  if (isCustosError(error)) return error;
  const cause = connectionError ?? error;
  const message = redact(cause instanceof Error ? cause.message : String(cause));
  const code = codeOf(cause);
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    UNREACHABLE.test(message) ||
    BUSY_REPLY.test(message)
  ) {
    return new CustosError('CONNECTOR_UNAVAILABLE', `Redis unavailable during ${what}: ${message}`, {
      cause: error,
      retryable: true,
      details: { code: code ?? null },
    });
  }
  const why = AUTH_REPLY.test(message)
    ? 'refused the admin login (check connection.user and connection.password)'
    : message.startsWith('NOPERM')
      ? 'refused: the admin user lacks a privilege (see docs/connectors/redis.md)'
      : 'refused';
  return new CustosError('CONNECTOR_REFUSED', `Redis ${why} during ${what}: ${message}`, {
    cause: error,
    retryable: false,
  });
}

export function mismatch(message: string): CustosError {
  return new CustosError('TARGET_STATE_MISMATCH', message);
}

export function refused(message: string): CustosError {
  return new CustosError('CONNECTOR_REFUSED', message);
}
