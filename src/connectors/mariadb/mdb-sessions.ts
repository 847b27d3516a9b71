/**
 * Ending an account's open sessions. They survive a password change, ACCOUNT LOCK, PASSWORD EXPIRE,
 * DROP USER and even a REVOKE of a database-level privilege (the server re-checks those only at
 * the next USE), so every such step ends them with KILL CONNECTION.
 *
 * information_schema.PROCESSLIST names a session's user but not the account's host: sessions are
 * matched by user name (create refuses a name that exists at another host). It has no connection
 * start time either, so a step records a boundary instead: the highest connection id on the server
 * right after the change. Ids only grow while the server runs, so a session of the user with an id
 * at or below the boundary was opened before the change; one above it, after. A restart resets the
 * ids but also ends every session: the server's start time is recorded beside the boundary.
 */
import type { Sql } from './mdb-admin.js';
import { errnoOf } from './mdb-errors.js';

export interface SessionsEnded {
  readonly ended: number;
  readonly boundary: number;
  /** Unix seconds at which the server started (from its uptime). */
  readonly serverStarted: number;
}

const NO_SUCH_THREAD = 1094;

export async function endSessions(sql: Sql, user: string): Promise<SessionsEnded> {
  const [top] = await sql.rows<{ boundary: number | string | null }>(
    'SELECT MAX(ID) AS boundary FROM information_schema.PROCESSLIST',
  );
  const boundary = Number(top?.boundary ?? 0);
  const ids = await sessionIds(sql, user, boundary);
  for (const id of ids) {
    await sql.run(`KILL CONNECTION ${id}`).catch((error: unknown) => {
      if (errnoOf(error) !== NO_SUCH_THREAD) throw error; // it ended on its own meanwhile
    });
  }
  // A killed session leaves the list once its thread notices: wait for that, briefly.
  for (let i = 0; i < 100 && (await sessionIds(sql, user, boundary)).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { ended: ids.length, boundary, serverStarted: await serverStarted(sql) };
}

/** Sessions of `user` opened before the boundary, unless the server restarted since. */
export async function staleSessions(
  sql: Sql,
  user: string,
  boundary: number,
  started: number,
): Promise<number> {
  if (Math.abs((await serverStarted(sql)) - started) > 2) return 0;
  return (await sessionIds(sql, user, boundary)).length;
}

export async function serverStarted(sql: Sql): Promise<number> {
  const [row] = await sql.rows<{ started: number | string }>(
    `SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE AS started
       FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'`,
  );
  return Math.round(Number(row?.started ?? 0));
}

async function sessionIds(sql: Sql, user: string, boundary: number): Promise<number[]> {
  const rows = await sql.rows<{ ID: number | string }>(
    'SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <= ? AND ID <> CONNECTION_ID()',
    [user, boundary],
  );
  return rows.map((r) => Number(r.ID)).filter((id) => Number.isSafeInteger(id) && id > 0);
}
