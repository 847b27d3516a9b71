/**
 * The end of a rotation's overlap window. Redis has no password expiry, so the old password's end is
 * Custos's to enforce: the rotation records, in the user's record, each old hash with the moment it
 * retires; once that moment has passed (by the connector's injected clock), a sweep removes the
 * hash from the user (`resetpass` with the remaining ones) and ends the user's sessions.
 *
 * Why end sessions again at the window's end: Redis does not say which password a session used, so
 * a session opened with the old password during the window can only be closed by closing them all.
 * Clients reconnect, now with the new password. (Rotation itself ended every session opened
 * before it, as the issue asks; during the window clients may reconnect with either password.)
 *
 * Who sweeps: every apply, readPrior and rollback first sweeps the user it acts on, and the run
 * engine's timer tick calls `RedisConnector.endOverlaps(system, authority)` for every redis system,
 * which sweeps every user of that system whose window has ended. Until one of them runs, the old
 * password keeps working; verify reports it as overdue.
 */
import type { AdminSession } from './redis-admin.js';
import { readAclUser } from './redis-acl.js';
import { toConnectorError } from './redis-errors.js';
import { OVERLAPS_KEY, readRecord, recordCommands } from './redis-journal.js';
import { assertSaved, changeFailure, onUser } from './redis-tx.js';

/** Removes the user's passwords whose overlap has ended; returns how many. */
export async function sweepUser(session: AdminSession, user: string, now: Date): Promise<number> {
  const { result, replies } = await onUser(session, user, 'the end of an overlap', async () => {
    const record = await readRecord(session, user);
    const expired = new Set(
      (record?.retiring ?? []).filter((r) => Date.parse(r.until) <= now.getTime()).map((r) => r.hash),
    );
    if (record === undefined || expired.size === 0) return { result: 0 };
    const current = await readAclUser((...argv) => session.call(...argv), user);
    const remaining = record.retiring.filter((r) => !expired.has(r.hash));
    const acl =
      current === undefined
        ? []
        : [
            [
              'ACL',
              'SETUSER',
              user,
              'resetpass',
              ...current.passwords.filter((h) => !expired.has(h)).map((h) => `#${h}`),
            ],
            ['CLIENT', 'KILL', 'USER', user],
          ];
    return {
      result: expired.size,
      commands: [...acl, ...recordCommands(user, { ...record, retiring: remaining }, now)],
    };
  });
  if (replies !== undefined) {
    const failed = changeFailure(replies);
    if (failed !== undefined) throw toConnectorError(failed, `ending the overlap of ${user}`);
    assertSaved(replies, `the end of the overlap of ${user}`);
  }
  return result;
}

/** Sweeps every user of the system whose overlap has ended; returns how many passwords it removed. */
export async function sweepSystem(session: AdminSession, systemId: string, now: Date): Promise<number> {
  const due = await session.call('ZRANGEBYSCORE', OVERLAPS_KEY, '-inf', String(now.getTime()));
  let removed = 0;
  for (const user of Array.isArray(due) ? due.map(String) : []) {
    const record = await readRecord(session, user);
    if (record?.system === systemId) removed += await sweepUser(session, user, now);
  }
  return removed;
}
