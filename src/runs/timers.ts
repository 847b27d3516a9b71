/**
 * Durable timers: approval reminders, escalation and expiry; break-glass auto-revoke and its
 * review; exception reminders and expiry. A timer is a row written in the same transaction as the
 * state that needs it, so it survives restarts; firing claims it with a conditional UPDATE inside
 * the transaction that records its effect, so a timer fires at most once even with two engines.
 */
import crypto from 'node:crypto';
import type { JsonValue } from '../core/canonical-json.js';
import type { Sql } from '../store/sql.js';

export const TIMER_KINDS = [
  'approval.remind',
  'approval.escalate',
  'approval.expire',
  'grant.remind',
  'grant.expire',
  'review.due',
  'credential.expiring',
] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface Timer {
  readonly id: string;
  readonly kind: TimerKind;
  /** The run or grant the timer belongs to. */
  readonly subject: string;
  readonly dueAt: string;
  readonly payload: Readonly<Record<string, JsonValue>>;
}

interface TimerRow {
  id: string;
  kind: TimerKind;
  subject: string;
  due_at: string;
  payload: string;
}

function toTimer(r: TimerRow): Timer {
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    dueAt: r.due_at,
    payload: JSON.parse(r.payload) as Timer['payload'],
  };
}

export async function scheduleTimer(
  tx: Pick<Sql, 'run'>,
  timer: Omit<Timer, 'id'>,
  now: Date,
): Promise<string> {
  const id = `timer_${crypto.randomUUID()}`;
  await tx.run(
    `INSERT INTO timers (id, kind, subject, due_at, payload, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
    [id, timer.kind, timer.subject, timer.dueAt, JSON.stringify(timer.payload), now.toISOString()],
  );
  return id;
}

/** Pending timers due at `now`, oldest first. */
export async function dueTimers(sql: Sql, now: Date, limit = 100): Promise<Timer[]> {
  const rows = await sql.query<TimerRow & Record<string, unknown>>(
    `SELECT id, kind, subject, due_at, payload FROM timers WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?`,
    [now.toISOString(), limit],
  );
  return rows.map(toTimer);
}

/** Pending timers of a subject (for status displays and tests). */
export async function pendingTimers(sql: Sql, subject: string): Promise<Timer[]> {
  const rows = await sql.query<TimerRow & Record<string, unknown>>(
    `SELECT id, kind, subject, due_at, payload FROM timers WHERE state = 'pending' AND subject = ? ORDER BY due_at, id`,
    [subject],
  );
  return rows.map(toTimer);
}

/** Claims a timer inside the caller's transaction; false when another engine fired it first. */
export async function claimTimer(tx: Pick<Sql, 'run'>, id: string, now: Date): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE timers SET state = 'fired', fired_at = ? WHERE id = ? AND state = 'pending'`,
    [now.toISOString(), id],
  );
  return changed === 1;
}

/** Cancels a subject's pending timers (of the given kinds, or all). */
export async function cancelTimers(
  tx: Pick<Sql, 'run'>,
  subject: string,
  kinds: readonly TimerKind[],
  now: Date,
): Promise<void> {
  for (const kind of kinds) {
    await tx.run(
      `UPDATE timers SET state = 'cancelled', fired_at = ? WHERE subject = ? AND kind = ? AND state = 'pending'`,
      [now.toISOString(), subject, kind],
    );
  }
}

export function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

/** A string field of a timer's payload ('' when absent). */
export function payloadText(timer: Timer, key: string): string {
  const value = timer.payload[key];
  return typeof value === 'string' ? value : '';
}
