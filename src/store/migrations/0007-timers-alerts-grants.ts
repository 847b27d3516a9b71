import type { Migration } from './types.js';

/**
 * Durable timers (approval reminders, escalation and expiry; break-glass auto-revoke and review;
 * exception expiry), the alert outbox (webhook deliveries, written with the alert record), the
 * exceptions and break-glass grants in force, and each run's origin (the record it remediates or
 * the grant it revokes).
 */
export const timersAlertsGrantsMigration: Migration = {
  version: 7,
  name: 'timers-alerts-grants',
  statements: (t) => [
    `CREATE TABLE timers (
      id ${t.text} PRIMARY KEY,
      kind ${t.text} NOT NULL,
      subject ${t.text} NOT NULL,
      due_at ${t.text} NOT NULL,
      payload ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      fired_at ${t.text},
      created_at ${t.text} NOT NULL
    )`,
    `CREATE INDEX timers_due ON timers (state, due_at)`,
    `CREATE TABLE alerts (
      id ${t.text} PRIMARY KEY,
      subject ${t.text} NOT NULL,
      kind ${t.text} NOT NULL,
      payload ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      attempts ${t.int} NOT NULL DEFAULT 0,
      next_attempt_at ${t.text} NOT NULL,
      last_error ${t.text},
      created_at ${t.text} NOT NULL,
      delivered_at ${t.text}
    )`,
    `CREATE INDEX alerts_pending ON alerts (state, next_attempt_at)`,
    `CREATE TABLE grants (
      id ${t.text} PRIMARY KEY,
      kind ${t.text} NOT NULL,
      run_id ${t.text} NOT NULL,
      identity_id ${t.text} NOT NULL,
      workflow ${t.text} NOT NULL,
      details ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      granted_at ${t.text} NOT NULL,
      expires_at ${t.text} NOT NULL,
      ended_at ${t.text},
      follow_up_run_id ${t.text},
      review_due_at ${t.text},
      reviewed_by ${t.text},
      reviewed_at ${t.text}
    )`,
    `CREATE INDEX grants_identity ON grants (identity_id, state)`,
    `ALTER TABLE runs ADD COLUMN origin ${t.text}`,
  ],
};
