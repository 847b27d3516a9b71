/**
 * A real login as the managed role, to verify a credential on the target itself. PostgreSQL says
 * 28P01 both for a wrong password and for an expired VALID UNTIL, and 28000 for NOLOGIN; the
 * role's rolvaliduntil tells the first two apart.
 */
import pg from 'pg';
import type { PgConnection } from './pg-admin.js';
import { sqlstateOf } from './pg-errors.js';

export type LoginOutcome = 'ok' | 'wrong_password' | 'expired' | 'login_not_allowed' | 'failed';

export async function tryLogin(
  settings: PgConnection,
  role: string,
  password: string,
): Promise<{ ok: boolean; sqlstate?: string }> {
  const client = new pg.Client({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: role,
    password,
    ssl: settings.sslmode === 'disable' ? false : { rejectUnauthorized: settings.sslmode === 'verify-full' },
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    const sqlstate = sqlstateOf(error);
    return sqlstate === undefined ? { ok: false } : { ok: false, sqlstate };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Names a login result, given the role's VALID UNTIL ('infinity' or ISO 8601) at the time. */
export function classifyLogin(
  result: { ok: boolean; sqlstate?: string },
  validUntil: string | undefined,
  now: Date,
): LoginOutcome {
  if (result.ok) return 'ok';
  if (result.sqlstate === '28000') return 'login_not_allowed';
  if (result.sqlstate !== '28P01') return 'failed';
  const expired = validUntil !== undefined && validUntil !== 'infinity' && new Date(validUntil) <= now;
  return expired ? 'expired' : 'wrong_password';
}
