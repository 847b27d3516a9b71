/**
 * Raising an alert: inside the caller's ledger transaction, append an `alert.raised` record and
 * insert the outbox row, so the alert exists exactly when the state change that caused it commits
 * (a rolled-back transaction leaves neither). The outbox payload is built from the record's
 * payload alone, after the ledger's secret guard has accepted it: a webhook can only ever carry
 * what the ledger would record.
 */
import crypto from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import { SYSTEM_ACTOR } from '../ledger/ledger.js';
import type { LedgerTx } from '../ledger/ledger-writer.js';
import { validateDraft, type RecordDraft } from '../ledger/record.js';
import { assertNoSecrets } from '../ledger/secrets.js';
import { subjectKey, type Alert, type AlertInput, type OutboxPayload } from './alert-model.js';
import { validateAlertInput } from './alert-validate.js';

export const ALERT_RAISED = 'alert.raised';

/**
 * Records an alert and queues it for delivery; returns its id (`alert_<uuid>`).
 * Throws INPUT_INVALID for a malformed alert and RECORD_SECRET_FIELD when its details carry a
 * field that looks like a secret (record a fingerprint instead).
 */
export async function raiseAlert(tx: LedgerTx, input: AlertInput, now: Date): Promise<string> {
  const checked = validateAlertInput(input);
  const id = `alert_${crypto.randomUUID()}`;
  const payload = {
    alertId: id,
    kind: checked.kind,
    severity: checked.severity,
    notify: checked.notify,
    summary: checked.summary,
    details: checked.details,
  };
  const createdAt = now.toISOString();
  const alert: Alert = {
    id,
    kind: checked.kind,
    severity: checked.severity,
    subject: { kind: checked.subject.kind, id: checked.subject.id },
    notify: checked.notify,
    summary: checked.summary,
    details: checked.details,
    correlationId: checked.correlationId,
    createdAt,
  };
  const draft: RecordDraft = {
    type: ALERT_RAISED,
    correlationId: checked.correlationId,
    actor: checked.actor ?? SYSTEM_ACTOR,
    subject: alert.subject,
    payload,
  };
  // Everything tx.append checks, checked before the first write: once the row is inserted the
  // append cannot fail, so a caller that catches an error here is never left with half an alert.
  validateDraft(draft);
  assertNoSecrets(draft.payload);
  // The record is sequenced at commit, so its index is unknown here; the committed size is a lower
  // bound that lets a deliverer find it with a short scan (raised-record.ts).
  const [head] = await tx.query<{ size: number }>('SELECT size FROM ledger_head WHERE id = 1');
  const outbox: OutboxPayload = { alert, ledgerFrom: head?.size ?? 0, deliveredTo: [] };
  await tx.run(
    `INSERT INTO alerts (id, subject, kind, payload, state, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
    [id, subjectKey(alert.subject), alert.kind, canonicalize(outbox), createdAt, createdAt],
  );
  await tx.append(draft);
  return id;
}
