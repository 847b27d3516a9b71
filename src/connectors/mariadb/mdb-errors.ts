/**
 * Maps failures of the admin connection to the connector error vocabulary: an unreachable server,
 * too many connections, a refused admin login or a server shutting down is CONNECTOR_UNAVAILABLE
 * and retryable; a lock wait timeout or deadlock is retryable; any other server error (bad input,
 * a missing table, a privilege the admin lacks) is CONNECTOR_REFUSED and not retryable.
 *
 * mysql2 names errors by MySQL's code table: MariaDB-only numbers get the wrong name (4151,
 * "account is locked", comes out as ER_BULK_PARSER_INCOMPLETE_ESCAPE_SEQUENCE). Server errors are
 * therefore matched on `errno` only; `code` is used for client-side (network) errors.
 *
 * The mysql2 error is not kept as `cause`: it carries the statement text (`sql`), which may hold a
 * password hash. Its errno and code go into `details`, its message is redacted.
 */
import { SOCKET_ERROR_CODES } from '../network-errors.js';
import { CustosError, isCustosError } from '../../core/errors.js';

const NETWORK_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** Server errors that say "not now" about the connection, not "no" about the statement. */
const UNAVAILABLE_ERRNO = new Set([
  1040, // too many connections
  1203, // user has more than max_user_connections active connections
  1226, // user has exceeded a resource limit (max_user_connections, max_connections_per_hour)
  1045, // access denied (the admin's login)
  1698, // access denied without password
  1129, // host blocked after connection errors
  1130, // host not allowed to connect
  1053, // server shutdown in progress
  1152, // aborted connection
  1158, // network read error
  1159, // network read timeout
  1160, // network write error
  1161, // network write timeout
  1927, // connection killed
  4151, // the admin account is locked
]);
const RETRYABLE_ERRNO = new Set([1205, 1213]); // lock wait timeout, deadlock

export interface ServerError {
  readonly errno?: number;
  readonly code?: string;
}

export function errnoOf(error: unknown): number | undefined {
  const errno = (error as ServerError | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as ServerError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Never echo a password hash that a statement carried (a syntax error quotes the text near it). */
export function redact(message: string): string {
  return message.replace(/\*[0-9A-Fa-f]{40}/g, '<hash>');
}

export function isUnavailable(error: unknown): boolean {
  const errno = errnoOf(error);
  const code = codeOf(error);
  if (errno !== undefined && UNAVAILABLE_ERRNO.has(errno)) return true;
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /connect ETIMEDOUT|Pool is closed|Can't add new command when connection is in closed state/i.test(
    message,
  );
}

export function toConnectorError(error: unknown, what: string): CustosError {
  if (isCustosError(error)) return error;
  const errno = errnoOf(error) ?? null;
  const message = redact(error instanceof Error ? error.message : String(error));
  const details = { errno, code: codeOf(error) ?? null };
  if (isUnavailable(error)) {
    return new CustosError('CONNECTOR_UNAVAILABLE', `MariaDB unavailable during ${what}: ${message}`, {
      retryable: true,
      details,
    });
  }
  return new CustosError('CONNECTOR_REFUSED', `MariaDB refused ${what}: ${message}`, {
    retryable: errno !== null && RETRYABLE_ERRNO.has(errno),
    details,
  });
}
