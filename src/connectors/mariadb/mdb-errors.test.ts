import { describe, expect, it } from 'vitest';
import { toConnectorError } from './mdb-errors.js';

/** A mysql2 server error as it arrives: errno, a (possibly wrong) code name and the statement. */
const serverError = (errno: number, code: string, message: string) =>
  Object.assign(new Error(message), { errno, code, sql: "ALTER USER 'x'@'%' IDENTIFIED BY PASSWORD '*AB…'" });

describe('toConnectorError', () => {
  it('makes unreachable servers, too many connections and a refused admin retryable', () => {
    for (const e of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      serverError(1040, 'ER_CON_COUNT_ERROR', 'Too many connections'),
      serverError(1226, 'ER_USER_LIMIT_REACHED', "User 'a' has exceeded the 'max_user_connections'"),
      serverError(1045, 'ER_ACCESS_DENIED_ERROR', "Access denied for user 'custos_admin'"),
      serverError(4151, 'ER_BULK_PARSER_INCOMPLETE_ESCAPE_SEQUENCE', 'Access denied, this account is locked'),
    ]) {
      expect(toConnectorError(e, 'apply')).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    }
  });

  it('refuses other server errors, retrying only lock timeouts and deadlocks', () => {
    const denied = serverError(1142, 'ER_TABLEACCESS_DENIED_ERROR', 'SELECT command denied');
    expect(toConnectorError(denied, 'apply')).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false });
    const deadlock = serverError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found');
    expect(toConnectorError(deadlock, 'apply')).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: true });
  });

  it('redacts password hashes and keeps neither the statement nor the raw error', () => {
    const hash = '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19';
    const e = serverError(1064, 'ER_PARSE_ERROR', `You have an error near '${hash}' PASSWORD EXPIRE`);
    const mapped = toConnectorError(e, 'apply');
    expect(mapped.message).not.toContain(hash);
    expect(mapped.message).toContain('<hash>');
    expect(mapped.cause).toBeUndefined();
    expect(JSON.stringify(mapped.details)).toBe('{"errno":1064,"code":"ER_PARSE_ERROR"}');
  });
});
