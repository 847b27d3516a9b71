/**
 * Socket-level error codes (`error.code` from node:net and DNS): the target cannot be reached now,
 * so the connector's error is CONNECTOR_UNAVAILABLE and retryable. Each connector adds its driver's
 * own codes for the same condition.
 */
export const SOCKET_ERROR_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
];
