/** Exception and break-glass grants as stored: reading, and the one conditional state change. */
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';
import type { Sql } from '../store/sql.js';

export const GRANT_STATES = [
  'active',
  'expired',
  'revoking',
  'revoked',
  'remediating',
  'remediated',
  'superseded',
] as const;
export type GrantState = (typeof GRANT_STATES)[number];

export interface Grant {
  readonly id: string;
  readonly kind: 'exception' | 'break_glass';
  /** The run that opened the grant. */
  readonly runId: string;
  readonly identityId: string;
  readonly workflow: string;
  /** Exception: control and compensating control. Break-glass: entitlements. */
  readonly details: Readonly<Record<string, JsonValue>>;
  readonly state: GrantState;
  readonly grantedAt: string;
  readonly expiresAt: string;
  readonly endedAt: string | null;
  /** The revocation or remediation run filed at expiry. */
  readonly followUpRunId: string | null;
  readonly reviewDueAt: string | null;
  readonly reviewedBy: string | null;
  readonly reviewedAt: string | null;
}

interface GrantRow {
  id: string;
  kind: Grant['kind'];
  run_id: string;
  identity_id: string;
  workflow: string;
  details: string;
  state: GrantState;
  granted_at: string;
  expires_at: string;
  ended_at: string | null;
  follow_up_run_id: string | null;
  review_due_at: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

const COLUMNS =
  'id, kind, run_id, identity_id, workflow, details, state, granted_at, expires_at, ended_at, follow_up_run_id, review_due_at, reviewed_by, reviewed_at';

function toGrant(r: GrantRow): Grant {
  return {
    id: r.id,
    kind: r.kind,
    runId: r.run_id,
    identityId: r.identity_id,
    workflow: r.workflow,
    details: JSON.parse(r.details) as Grant['details'],
    state: r.state,
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    endedAt: r.ended_at,
    followUpRunId: r.follow_up_run_id,
    reviewDueAt: r.review_due_at,
    reviewedBy: r.reviewed_by,
    reviewedAt: r.reviewed_at,
  };
}

export async function readGrant(sql: Sql, id: string): Promise<Grant> {
  const rows = await sql.query<GrantRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM grants WHERE id = ?`,
    [id],
  );
  if (rows[0] === undefined) throw new CustosError('NOT_FOUND', `no grant ${id}`);
  return toGrant(rows[0]);
}

export async function listGrants(
  sql: Sql,
  filter: { readonly identity?: string; readonly state?: GrantState } = {},
): Promise<Grant[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.identity !== undefined) {
    where.push('identity_id = ?');
    params.push(filter.identity);
  }
  if (filter.state !== undefined) {
    where.push('state = ?');
    params.push(filter.state);
  }
  const rows = await sql.query<GrantRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM grants${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY granted_at, id`,
    params,
  );
  return rows.map(toGrant);
}

export async function insertGrant(
  tx: Pick<Sql, 'run'>,
  grant: Omit<Grant, 'state' | 'endedAt' | 'followUpRunId' | 'reviewedBy' | 'reviewedAt'>,
): Promise<void> {
  await tx.run(
    `INSERT INTO grants (id, kind, run_id, identity_id, workflow, details, state, granted_at, expires_at, review_due_at)
     VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
    [
      grant.id,
      grant.kind,
      grant.runId,
      grant.identityId,
      grant.workflow,
      JSON.stringify(grant.details),
      grant.grantedAt,
      grant.expiresAt,
      grant.reviewDueAt,
    ],
  );
}

/** Moves a grant from `from` to `to` (conditional: two engines never both move it). */
export async function moveGrant(
  tx: Pick<Sql, 'run'>,
  grant: Grant,
  to: GrantState,
  now: Date,
  followUpRunId?: string,
): Promise<void> {
  const ended = ['expired', 'revoked', 'remediated', 'superseded'].includes(to) ? now.toISOString() : null;
  const changed = await tx.run(
    `UPDATE grants SET state = ?, ended_at = COALESCE(?, ended_at), follow_up_run_id = COALESCE(?, follow_up_run_id)
     WHERE id = ? AND state = ?`,
    [to, ended, followUpRunId ?? null, grant.id, grant.state],
  );
  if (changed !== 1)
    throw new CustosError('RUN_TRANSITION_INVALID', `grant ${grant.id} moved on concurrently`, {
      retryable: true,
    });
}
