/**
 * The records that settle an alert: `alert.delivered` (every webhook accepted it) and
 * `alert.delivery_failed` (attempts exhausted). They name webhooks by name and origin, never by
 * URL, and carry error texts built by webhook-post.ts (no URL, no secret). Pure.
 */
import type { JsonValue } from '../core/canonical-json.js';
import type { OutboxPayload } from './alert-model.js';

export const ALERT_DELIVERED = 'alert.delivered';
export const ALERT_DELIVERY_FAILED = 'alert.delivery_failed';
const MAX_ERROR_LENGTH = 1000;

interface OutcomeRecord {
  readonly type: string;
  readonly payload: { readonly [k: string]: JsonValue };
}

function acceptedBy(outbox: OutboxPayload): JsonValue[] {
  return outbox.deliveredTo.map((d) => ({
    webhook: d.webhook,
    origin: d.origin,
    status: d.status,
    attempt: d.attempt,
  }));
}

export function deliveredRecord(outbox: OutboxPayload, attempts: number): OutcomeRecord {
  return {
    type: ALERT_DELIVERED,
    payload: { alertId: outbox.alert.id, kind: outbox.alert.kind, attempts, webhooks: acceptedBy(outbox) },
  };
}

export function failedRecord(outbox: OutboxPayload, attempts: number, lastError: string): OutcomeRecord {
  return {
    type: ALERT_DELIVERY_FAILED,
    payload: {
      alertId: outbox.alert.id,
      kind: outbox.alert.kind,
      attempts,
      lastError,
      // Webhooks that did accept it before the others gave out.
      webhooks: acceptedBy(outbox),
    },
  };
}

/** The failures of one attempt as one bounded line. */
export function lastErrorOf(failures: readonly { readonly result: { readonly error: string } }[]): string {
  const text = failures.map((f) => f.result.error).join('; ');
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
