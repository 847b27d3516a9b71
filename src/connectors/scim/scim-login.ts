/**
 * A real login against the service's own password check, when the system names one (`loginUrl`):
 * SCIM defines none, and SaaS applications authenticate their users in ways of their own, so for
 * most services verification is read-back only. The check is `POST {userName, password}` (JSON),
 * answered 200 (accepted), 401 (wrong password) or 403 (the account is inactive).
 */
import type { ScimConnection } from './scim-connection.js';
import { networkError } from './scim-errors.js';

export type LoginOutcome = 'ok' | 'wrong_password' | 'inactive' | 'failed';

export async function tryLogin(
  conn: ScimConnection,
  userName: string,
  password: string,
): Promise<LoginOutcome> {
  if (conn.loginUrl === undefined) throw new TypeError('tryLogin needs connection.loginUrl');
  let status: number;
  try {
    const response = await fetch(conn.loginUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userName, password }),
      redirect: 'manual',
      signal: AbortSignal.timeout(conn.timeoutMs),
    });
    await response.arrayBuffer();
    status = response.status;
  } catch (error) {
    throw networkError(error, { what: 'POST loginUrl', redact: [password] });
  }
  if (status === 200 || status === 204) return 'ok';
  if (status === 401) return 'wrong_password';
  if (status === 403) return 'inactive';
  return 'failed';
}
