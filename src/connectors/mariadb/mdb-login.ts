/**
 * A real login as the managed account, to verify a credential on the target itself: connect and
 * run `SELECT 1`. The server answers 1045 for a wrong password (checked before the lock), and 1045
 * or 1698 for an account that does not exist (it feigns an authentication exchange so as not to
 * tell which accounts exist); 4151 for a locked account; and it lets an expired password in to a
 * sandbox where every statement fails with 1820 (1862 at connect when
 * disconnect_on_expired_password is on). mysql2 misnames 4151: errno is what is matched.
 */
import mysql from 'mysql2/promise';
import { sslOf, type MariadbConnection } from './mdb-admin.js';
import { errnoOf } from './mdb-errors.js';

export type LoginOutcome = 'ok' | 'wrong_password' | 'locked' | 'expired' | 'failed';

export interface LoginResult {
  readonly ok: boolean;
  readonly errno?: number;
}

export async function tryLogin(
  settings: MariadbConnection,
  user: string,
  password: string,
): Promise<LoginResult> {
  const ssl = sslOf(settings);
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({
      host: settings.host,
      port: settings.port,
      user,
      password,
      ...(ssl === undefined ? {} : { ssl }),
      connectTimeout: 5000,
    });
    conn.on('error', () => undefined);
    await conn.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    const errno = errnoOf(error);
    return errno === undefined ? { ok: false } : { ok: false, errno };
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

export function classifyLogin(result: LoginResult): LoginOutcome {
  if (result.ok) return 'ok';
  switch (result.errno) {
    case 1045:
    case 1698:
      return 'wrong_password';
    case 4151:
      return 'locked';
    case 1820:
    case 1862:
      return 'expired';
    default:
      return 'failed';
  }
}
