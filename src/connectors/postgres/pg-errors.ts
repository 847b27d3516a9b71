/**
 * Maps failures of the admin connection to the connector error vocabulary: an unreachable server,
 * a refused admin login or a server shutting down is CONNECTOR_UNAVAILABLE and retryable; a
 * serialization failure or lock timeout is retryable; any other SQL error (bad input, a missing
 * object, a role that already exists) is CONNECTOR_REFUSED and not retryable.
 */
import { CustosError, isCustosError } from '../../core/errors.js';
import { SOCKET_ERROR_CODES } from '../network-errors.js';

const NETWORK_CODES = new Set(SOCKET_ERROR_CODES);
/** 08 connection exception, 28 invalid authorization (of the admin), 53300, 57P0x shutdown. */
const UNAVAILABLE_SQLSTATE = /^(08...|28...|53300|57P0[1-4])$/;
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01', '55P03']);

export function sqlstateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Never echo a verifier that a statement carried (a syntax error quotes the text near it). */
function redact(message: string): string {
  return message.replace(/SCRAM-SHA-256\$\S*/g, '<verifier>');
}

export function toConnectorError(error: unknown, what: string): CustosError {
  if (isCustosError(error)) return error;
  const code = sqlstateOf(error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const unreachable =
    (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) ||
    /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(message);
  if (unreachable) {
    return new CustosError('CONNECTOR_UNAVAILABLE', `PostgreSQL unavailable during ${what}: ${message}`, {
      cause: error,
      retryable: true,
      details: { sqlstate: code ?? null },
    });
  }
  return new CustosError('CONNECTOR_REFUSED', `PostgreSQL refused ${what}: ${message}`, {
    cause: error,
    retryable: code !== undefined && RETRYABLE_SQLSTATE.has(code),
    details: { sqlstate: code ?? null },
  });
}
