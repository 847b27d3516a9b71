/**
 * The deliverer: drains due outbox rows to every configured webhook. Each alert is claimed under a
 * lease before anything is sent, so two deliverers never send the same alert at the same time; a
 * deliverer that dies mid-send leaves a lease that expires and the alert is sent again (at least
 * once: receivers dedupe on `custos-alert-id`). Attempts are bounded: after `maxAttempts` failed
 * attempts the alert is `failed` and an `alert.delivery_failed` record says so; a success appends
 * `alert.delivered`. Never retried forever, never forgotten.
 */
import { CustosError } from '../core/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { parseOutboxPayload, type AlertRow, type DeliveredTo, type OutboxPayload } from './alert-model.js';
import { claimAlert, dueAlerts, settleAlert, versionOf, type Claim, type Outcome } from './alert-outbox.js';
import { findRaisedIndex } from './raised-record.js';
import { parseWebhooks, type WebhookConfig, type WebhookEndpoint } from './webhook-endpoint.js';
import { postWebhook, webhookBody, type AttemptResult } from './webhook-post.js';
import { deliveredRecord, failedRecord, lastErrorOf } from './delivery-records.js';

export interface AlertDeliveryOptions {
  readonly ledger: Pick<Ledger, 'transact' | 'store' | 'now'>;
  readonly webhooks: readonly WebhookConfig[];
  /** The clock (default: the ledger's). */
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
  /** Attempts before an alert is `failed` (default 5). */
  readonly maxAttempts?: number;
  /** Delay after the n-th failed attempt: min(baseMs × 2^(n-1), maxMs); default 30 s, capped at 1 h. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Per request (default 5000 ms). */
  readonly timeoutMs?: number;
  /** How long a claim holds before another deliverer may retry the alert (default 2 × timeout + 30 s). */
  readonly leaseMs?: number;
  /** Alerts per deliverDue call (default 100) and how many are sent at once (default 4). */
  readonly batchSize?: number;
  readonly concurrency?: number;
}

export interface DeliveryReport {
  delivered: number;
  failed: number;
  retrying: number;
}

export interface AlertDelivery {
  /** Sends every due alert once; with no webhooks configured it does nothing. */
  deliverDue(): Promise<DeliveryReport>;
}

function setting(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CustosError('CONFIG_INVALID', `alerts ${name} must be an integer in [${min}, ${max}]`, {
      details: { field: name },
    });
  }
  return value;
}

export function createAlertDelivery(options: AlertDeliveryOptions): AlertDelivery {
  const endpoints = parseWebhooks(options.webhooks);
  const now = options.now ?? (() => options.ledger.now());
  const timeoutMs = setting('timeoutMs', options.timeoutMs ?? 5000, 1, 600_000);
  const post = { fetch: options.fetch ?? globalThis.fetch, timeoutMs };
  const maxAttempts = setting('maxAttempts', options.maxAttempts ?? 5, 1, 100);
  const baseMs = setting('backoff.baseMs', options.backoff?.baseMs ?? 30_000, 0, 86_400_000);
  const maxMs = setting('backoff.maxMs', options.backoff?.maxMs ?? 3_600_000, baseMs, 7 * 86_400_000);
  const leaseMs = setting('leaseMs', options.leaseMs ?? 2 * timeoutMs + 30_000, timeoutMs, 86_400_000);
  const batchSize = setting('batchSize', options.batchSize ?? 100, 1, 10_000);
  const concurrency = setting('concurrency', options.concurrency ?? 4, 1, 64);
  const { ledger } = options;

  async function deliverOne(row: AlertRow): Promise<keyof DeliveryReport | undefined> {
    if (row.attempts >= maxAttempts) return giveUp(row);
    const claim = await claimAlert(ledger, row, now(), leaseMs);
    if (claim === undefined) return undefined; // another deliverer has it
    const payload = await withLedgerIndex(claim.payload);
    const body = webhookBody(payload.alert, payload.ledgerIndex ?? null);
    const targets = endpoints.filter((e) => !payload.deliveredTo.some((d) => d.key === e.key));
    const results = await Promise.all(
      targets.map((e) =>
        postWebhook(
          e,
          { alertId: payload.alert.id, body, now: now(), attempt: claim.version.attempts },
          post,
        ),
      ),
    );
    return settle(claim, payload, targets, results);
  }

  async function withLedgerIndex(payload: OutboxPayload): Promise<OutboxPayload> {
    if (payload.ledgerIndex !== undefined) return payload;
    const index = await findRaisedIndex(ledger.store.read, payload.alert.id, payload.ledgerFrom);
    return { ...payload, ledgerIndex: index };
  }

  async function settle(
    claim: Claim,
    payload: OutboxPayload,
    targets: readonly WebhookEndpoint[],
    results: readonly AttemptResult[],
  ): Promise<keyof DeliveryReport | undefined> {
    const attempt = claim.version.attempts;
    const accepted: DeliveredTo[] = targets.flatMap((e, i) => {
      const r = results[i]!;
      return r.ok ? [{ key: e.key, webhook: e.name, origin: e.origin, status: r.status, attempt }] : [];
    });
    const next: OutboxPayload = { ...payload, deliveredTo: [...payload.deliveredTo, ...accepted] };
    const at = now();
    const failures = targets.flatMap((e, i) => {
      const r = results[i]!;
      return r.ok ? [] : [{ endpoint: e, result: r }];
    });
    let outcome: Outcome;
    if (failures.length === 0) {
      outcome = {
        state: 'delivered',
        at,
        lastError: null,
        payload: next,
        record: deliveredRecord(next, attempt),
      };
    } else if (attempt >= maxAttempts) {
      const lastError = lastErrorOf(failures);
      outcome = {
        state: 'failed',
        at,
        lastError,
        payload: next,
        record: failedRecord(next, attempt, lastError),
      };
    } else {
      const delay = Math.min(baseMs * 2 ** (attempt - 1), maxMs);
      const nextAttemptAt = new Date(at.getTime() + delay);
      outcome = { state: 'pending', at, nextAttemptAt, lastError: lastErrorOf(failures), payload: next };
    }
    if (!(await settleAlert(ledger, claim.version, outcome))) return undefined; // lease lost
    return outcome.state === 'pending' ? 'retrying' : outcome.state;
  }

  /** No attempts left but not yet failed: a deliverer died during the last one (or maxAttempts fell). */
  async function giveUp(row: AlertRow): Promise<'failed' | undefined> {
    const payload = await withLedgerIndex(parseOutboxPayload(row.payload));
    const attempts = row.attempts;
    const lastError =
      row.state === 'sending'
        ? `lease expired during attempt ${attempts}`
        : (row.last_error ?? 'no attempts left');
    const record = failedRecord(payload, attempts, lastError);
    const outcome: Outcome = { state: 'failed', at: now(), lastError, payload, record };
    return (await settleAlert(ledger, versionOf(row), outcome)) ? 'failed' : undefined;
  }

  return {
    async deliverDue() {
      const report: DeliveryReport = { delivered: 0, failed: 0, retrying: 0 };
      if (endpoints.length === 0) return report;
      const rows = await dueAlerts(ledger.store.read, now(), batchSize);
      const errors: unknown[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let row = rows[next++]; row !== undefined; row = rows[next++]) {
          try {
            const counted = await deliverOne(row);
            if (counted !== undefined) report[counted]++;
          } catch (e) {
            errors.push(e); // the row stays claimed until its lease expires, then is retried
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
      if (errors.length > 0) throw errors[0];
      return report;
    },
  };
}
