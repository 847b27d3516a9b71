/**
 * The alert model. An alert is a fact in the ledger (an `alert.raised` record) plus a row in the
 * `alerts` outbox that a deliverer drains to webhooks. The row's payload holds exactly the facts of
 * the record (so a webhook never carries anything the ledger's secret guard has not accepted) and
 * the delivery bookkeeping. Pure: types and conversions only.
 */
import type { JsonValue } from '../core/canonical-json.js';
import type { Actor, Subject } from '../ledger/record.js';

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/**
 * pending → sending (claimed under a lease) → delivered | failed, and sending → pending after a
 * failed attempt with attempts left. A `sending` row whose lease expired (its deliverer crashed)
 * is claimed again.
 */
export const ALERT_STATES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What a caller raises. */
export interface AlertInput {
  /** What the alert is about, e.g. `{kind: 'run', id: 'run_…'}`. */
  readonly subject: Subject;
  /** Dotted lowercase: `run.paused`, `approval.reminder`, `approval.escalated`, `break_glass.granted`, `review.overdue`, … */
  readonly kind: string;
  readonly severity: AlertSeverity;
  /** Principal ids to notify: `person:<name>` or `group:<name>`; at least one. */
  readonly notify: readonly string[];
  /** One line for a human. */
  readonly summary: string;
  /** Record-safe facts (no secrets: fingerprints only, as in every ledger record). */
  readonly details: Readonly<Record<string, JsonValue>>;
  readonly correlationId: string;
  /** Who raises it; Custos itself by default. */
  readonly actor?: Actor;
}

/** An alert as recorded and as sent (see docs/alerts.md for the webhook body). */
export interface Alert {
  readonly id: string;
  readonly kind: string;
  readonly severity: AlertSeverity;
  readonly subject: Subject;
  readonly notify: readonly string[];
  readonly summary: string;
  readonly details: Readonly<Record<string, JsonValue>>;
  readonly correlationId: string;
  readonly createdAt: string;
}

/** An alert with its delivery state, as listAlerts shows it. */
export interface AlertStatus extends Alert {
  readonly state: AlertState;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
  /** Index of its `alert.raised` record, once a deliverer has looked it up. */
  readonly ledgerIndex: number | null;
}

/** The outbox row's payload column. */
export interface OutboxPayload {
  readonly alert: Alert;
  /** The ledger size when the alert was raised: its `alert.raised` record is at or after it. */
  readonly ledgerFrom: number;
  /** The `alert.raised` index once looked up; null when not found in the search window. */
  readonly ledgerIndex?: number | null;
  /** The webhooks that accepted the alert: a retry sends only to the others. */
  readonly deliveredTo: readonly DeliveredTo[];
}

/** One webhook's acceptance: its key (a hash of its URL), name, origin, HTTP status and attempt. */
export interface DeliveredTo {
  readonly key: string;
  readonly webhook: string;
  readonly origin: string;
  readonly status: number;
  readonly attempt: number;
}

export interface AlertRow {
  id: string;
  subject: string;
  kind: string;
  payload: string;
  state: AlertState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export const ALERT_COLUMNS =
  'id, subject, kind, payload, state, attempts, next_attempt_at, last_error, created_at, delivered_at';

/** The `alerts.subject` column: `<kind>:<id>` (a subject kind never contains a colon). */
export function subjectKey(subject: Subject): string {
  return `${subject.kind}:${subject.id}`;
}

/** Parses a payload this module wrote (trusted: the outbox is written only through raiseAlert). */
export function parseOutboxPayload(text: string): OutboxPayload {
  return JSON.parse(text) as OutboxPayload;
}

export function toAlertStatus(row: AlertRow): AlertStatus {
  const payload = parseOutboxPayload(row.payload);
  return {
    ...payload.alert,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    ledgerIndex: payload.ledgerIndex ?? null,
  };
}
