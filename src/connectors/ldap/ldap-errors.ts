/**
 * Maps failures of the directory to the connector error vocabulary. An unreachable server, a
 * timeout, a busy or unavailable server (51, 52), or a refused admin bind is CONNECTOR_UNAVAILABLE
 * and retryable; any other LDAP result (bad input, a missing entry, a schema or policy refusal) is
 * CONNECTOR_REFUSED and not retryable. Messages never carry a password or a userPassword value.
 */
import { CustosError, isCustosError } from '../../core/errors.js';
import { SOCKET_ERROR_CODES } from '../network-errors.js';

const NETWORK_CODES = new Set(SOCKET_ERROR_CODES);
/** busy, unavailable, unwillingToPerform during shutdown is not distinguishable: not listed. */
const UNAVAILABLE_RESULTS = new Set([51, 52]);
const NETWORK_TEXT =
  /Connection timeout|Operation timed out|Socket error|Connection closed before|connect ECONNREFUSED|Socket connection not established/i;

/** The LDAP result code of an ldapts error (a number), if it is one. */
export function ldapCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function networkCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Hides anything that looks like a userPassword value (`{SCHEME}…`) in server or client text. */
export function redact(message: string): string {
  return message.replace(/\{[A-Za-z0-9.-]+\}\S*/g, '<password value>');
}

export function unavailable(what: string, error: unknown): CustosError {
  const message = redact(error instanceof Error ? error.message : String(error));
  return new CustosError('CONNECTOR_UNAVAILABLE', `LDAP server unavailable during ${what}: ${message}`, {
    cause: error,
    retryable: true,
    details: { ldapCode: ldapCode(error) ?? null },
  });
}

/**
 * The connector's error for a failure while talking to the directory. A programming error
 * (TypeError, ReferenceError, …) is rethrown as it is: it is not the server's refusal.
 */
export function toConnectorError(error: unknown, what: string): CustosError {
  if (isCustosError(error)) return error;
  if (error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError)
    throw error;
  const code = ldapCode(error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const net = networkCode(error);
  if (
    (net !== undefined && NETWORK_CODES.has(net)) ||
    (code !== undefined && UNAVAILABLE_RESULTS.has(code))
  ) {
    return unavailable(what, error);
  }
  if (code === undefined && NETWORK_TEXT.test(message)) return unavailable(what, error);
  return new CustosError('CONNECTOR_REFUSED', `LDAP server refused ${what}: ${message}`, {
    cause: error,
    retryable: false,
    details: { ldapCode: code ?? null },
  });
}

/** Result codes the connector reacts to. */
export const LDAP = {
  invalidCredentials: 49,
  noSuchAttribute: 16,
  typeOrValueExists: 20,
  noSuchObject: 32,
  alreadyExists: 68,
  objectClassViolation: 65,
} as const;
