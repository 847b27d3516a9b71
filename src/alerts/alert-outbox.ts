/**
 * The outbox's state changes, each a compare-and-set on (state, next_attempt_at, attempts) inside a
 * ledger transaction, so that of two deliverers (threads of one process, or processes sharing a
 * PostgreSQL database) exactly one wins each step, and every final outcome commits with its record.
 * - claim: pending (due) or sending (lease expired) → sending, attempts + 1, lease until next_attempt_at.
 *   Counting the attempt at claim time bounds retries even when deliverers crash mid-send.
 * - settle: sending (under our lease) → delivered | pending (backoff) | failed.
 * - give up: a row with no attempts left → failed.
 */
import { canonicalize, type JsonValue } from '../core/canonical-json.js';
import { SYSTEM_ACTOR, type Ledger } from '../ledger/ledger.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import type { Sql } from '../store/sql.js';
import {
  ALERT_COLUMNS,
  parseOutboxPayload,
  type AlertRow,
  type AlertState,
  type OutboxPayload,
} from './alert-model.js';
import { refTo } from './raised-record.js';

export type OutboxLedger = Pick<Ledger, 'transact' | 'store'>;

/** The version of a row a deliverer saw; a change is applied only if the row still matches it. */
export interface RowVersion {
  readonly id: string;
  readonly state: AlertState;
  readonly nextAttemptAt: string;
  readonly attempts: number;
}

export interface Claim {
  readonly version: RowVersion;
  readonly payload: OutboxPayload;
}

export interface Outcome {
  readonly state: 'delivered' | 'pending' | 'failed';
  readonly at: Date;
  readonly nextAttemptAt?: Date;
  readonly lastError: string | null;
  readonly payload: OutboxPayload;
  /** The record that commits with the outcome (delivered and failed only). */
  readonly record?: { readonly type: string; readonly payload: { readonly [k: string]: JsonValue } };
}

export function versionOf(row: AlertRow): RowVersion {
  return { id: row.id, state: row.state, nextAttemptAt: row.next_attempt_at, attempts: row.attempts };
}

/** Rows a deliverer may claim at `now`: due pending rows and sending rows whose lease expired. */
export async function dueAlerts(sql: Sql, now: Date, limit: number): Promise<AlertRow[]> {
  return sql.query<AlertRow & Record<string, unknown>>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?
     ORDER BY next_attempt_at, id LIMIT ?`,
    [now.toISOString(), limit],
  );
}

const WHERE_VERSION = 'WHERE id = ? AND state = ? AND next_attempt_at = ? AND attempts = ?';

function versionParams(v: RowVersion): [string, string, string, number] {
  return [v.id, v.state, v.nextAttemptAt, v.attempts];
}

/** Claims a row for one attempt under a lease; undefined when another deliverer changed it first. */
export async function claimAlert(
  ledger: OutboxLedger,
  row: AlertRow,
  now: Date,
  leaseMs: number,
): Promise<Claim | undefined> {
  const seen = versionOf(row);
  const lease = new Date(now.getTime() + leaseMs).toISOString();
  // A sending row here was abandoned mid-attempt: its outcome is unknown, so it is sent again.
  const lastError =
    seen.state === 'sending'
      ? `lease expired during attempt ${seen.attempts}: the deliverer stopped before settling`
      : row.last_error;
  const { value: changed } = await ledger.transact((tx) =>
    tx.run(
      `UPDATE alerts SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?, last_error = ?
       ${WHERE_VERSION}`,
      [lease, lastError, ...versionParams(seen)],
    ),
  );
  if (changed !== 1) return undefined;
  return {
    version: { id: seen.id, state: 'sending', nextAttemptAt: lease, attempts: seen.attempts + 1 },
    payload: parseOutboxPayload(row.payload),
  };
}

/**
 * Applies an outcome if the row is still at `version` (for a claim: our lease was not taken over),
 * appending its record in the same transaction. False when the row had moved on.
 */
export async function settleAlert(
  ledger: OutboxLedger,
  version: RowVersion,
  outcome: Outcome,
): Promise<boolean> {
  const { value } = await ledger.transact(async (tx) => {
    const changed = await tx.run(
      `UPDATE alerts SET state = ?, next_attempt_at = ?, last_error = ?, payload = ?, delivered_at = ?
       ${WHERE_VERSION}`,
      [
        outcome.state,
        (outcome.nextAttemptAt ?? outcome.at).toISOString(),
        outcome.lastError,
        canonicalize(outcome.payload),
        outcome.state === 'delivered' ? outcome.at.toISOString() : null,
        ...versionParams(version),
      ],
    );
    if (changed !== 1) return false;
    if (outcome.record !== undefined) await appendOutcome(tx, outcome.payload, outcome.record);
    return true;
  });
  return value;
}

async function appendOutcome(
  tx: LedgerTx,
  outbox: OutboxPayload,
  record: NonNullable<Outcome['record']>,
): Promise<void> {
  const { alert } = outbox;
  await tx.append({
    type: record.type,
    correlationId: alert.correlationId,
    actor: SYSTEM_ACTOR,
    subject: alert.subject,
    payload: record.payload,
    // Ties the outcome to the alert it settles, checked by the ledger against the stored leaf.
    refs: await refTo(tx, outbox.ledgerIndex ?? null),
  });
}
