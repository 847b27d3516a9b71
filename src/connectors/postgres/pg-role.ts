/**
 * Reading a role's state and ending its sessions. The verifier comes from pg_authid, which only a
 * superuser may read: the admin needs it to restore a replaced password on rollback.
 */
import type { Sql } from './pg-admin.js';

export interface RoleState {
  readonly oid: number;
  readonly canLogin: boolean;
  /** ISO 8601, or 'infinity' when the password never expires (NULL reads as 'infinity'). */
  readonly validUntil: string;
  readonly verifier: string | null;
  readonly comment: string | null;
}

interface RoleRow {
  oid: number;
  rolcanlogin: boolean;
  valid_epoch: string | null;
  rolpassword: string | null;
  comment: string | null;
}

export async function readRole(sql: Sql, name: string): Promise<RoleState | undefined> {
  const rows = await sql.query<RoleRow>(
    `SELECT oid::int AS oid, rolcanlogin, extract(epoch FROM rolvaliduntil)::text AS valid_epoch,
            rolpassword, shobj_description(oid, 'pg_authid') AS comment
       FROM pg_authid WHERE rolname = $1`,
    [name],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    oid: row.oid,
    canLogin: row.rolcanlogin,
    validUntil: isoOfEpoch(row.valid_epoch),
    verifier: row.rolpassword,
    comment: row.comment,
  };
}

function isoOfEpoch(epoch: string | null): string {
  const seconds = epoch === null ? Infinity : Number(epoch);
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : 'infinity';
}

/**
 * Terminates the role's backends (by oid, so it also works after DROP ROLE); with `before`, only
 * those that started earlier (a repeated step spares sessions opened with the new password).
 */
export async function terminateSessions(sql: Sql, oid: number, before?: Date): Promise<number> {
  const rows = await sql.query<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE usesysid = $1 AND pid <> pg_backend_pid() AND ($2::timestamptz IS NULL OR backend_start < $2)`,
    [oid, before ?? null],
  );
  return rows.filter((r) => r.ended).length;
}

/** Sessions of the role that started before `since` (all of them when `since` is undefined). */
export async function countSessions(sql: Sql, oid: number, since?: Date): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE usesysid = $1 AND ($2::timestamptz IS NULL OR backend_start < $2)`,
    [oid, since ?? null],
  );
  return rows[0]?.n ?? 0;
}

/** The comment that marks a role as managed by Custos, naming its system and identity. */
export function managedComment(systemId: string, identityId: string): string {
  return `custos:${JSON.stringify({ system: systemId, identity: identityId })}`;
}

export function parseManaged(comment: string | null): { system: string; identity: string } | undefined {
  if (comment === null || !comment.startsWith('custos:')) return undefined;
  try {
    const value = JSON.parse(comment.slice('custos:'.length)) as { system?: unknown; identity?: unknown };
    if (typeof value.system !== 'string' || typeof value.identity !== 'string') return undefined;
    return { system: value.system, identity: value.identity };
  } catch {
    return undefined;
  }
}
