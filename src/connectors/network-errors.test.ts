import { describe, expect, it } from 'vitest';
import { toConnectorError as fromLdap } from './ldap/ldap-errors.js';
import { SOCKET_ERROR_CODES } from './network-errors.js';
import { toConnectorError as fromPg } from './postgres/pg-errors.js';

/** A socket error as node:net and DNS raise it. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:5432`), { code });

describe('every connector treats an unreachable target alike', () => {
  for (const [name, map] of [
    ['postgres', fromPg],
    ['ldap', fromLdap],
  ] as const) {
    it(`${name}: each socket error code is CONNECTOR_UNAVAILABLE and retryable`, () => {
      for (const code of SOCKET_ERROR_CODES) {
        const e = map(socketError(code), 'applying');
        expect([code, e.code, e.retryable]).toEqual([code, 'CONNECTOR_UNAVAILABLE', true]);
      }
    });
  }
});
