/**
 * Webhook delivery on both stores, against a real HTTP receiver: delivered once with a signature
 * the receiver can verify, retried after the backoff, failed (and recorded) after maxAttempts and
 * then left alone, and a hanging or refusing receiver counted as a failed attempt.
 */
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertDelivery, listAlerts } from '../../src/alerts/index.js';
import { canonicalize } from '../../src/core/canonical-json.js';
import { freePort } from '../harness/free-port.js';
import { createTestLedger, storeKinds, type TestLedger } from '../support/stores.js';
import { clockAt, raise, records, sampleAlert, startWebhookServer, type WebhookServer } from './support.js';

const NONE = { delivered: 0, failed: 0, retrying: 0 };
const DAY = 86_400_000;

/** What a receiver does: HMAC-SHA256 over "<timestamp>.<body>", compared in constant time. */
function verifySignature(secret: Uint8Array, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(
    `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  const given = Buffer.from(header);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

for (const kind of storeKinds()) {
  describe(`alert delivery on ${kind.name}`, () => {
    let t: TestLedger;
    const servers: WebhookServer[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await t.close();
    });
    async function server(...args: Parameters<typeof startWebhookServer>): Promise<WebhookServer> {
      const s = await startWebhookServer(...args);
      servers.push(s);
      return s;
    }

    it('delivers once, signed; the receiver verifies the HMAC; alert.delivered refs alert.raised', async () => {
      t = await createTestLedger(kind);
      const hook = await server();
      const secret = crypto.randomBytes(32);
      const clock = clockAt();
      const alert = sampleAlert();
      const { id, index } = await raise(t.ledger, clock.now, alert);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: `${hook.base}/hook`, secret }],
        now: clock.fn,
      });
      expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, retrying: 0 });
      expect(await delivery.deliverDue()).toEqual(NONE);
      clock.advance(DAY);
      expect(await delivery.deliverDue()).toEqual(NONE);
      expect(hook.received).toHaveLength(1);

      const [request] = hook.received;
      const timestamp = String(Date.parse('2030-01-01T00:00:00Z') / 1000);
      expect(request!.path).toBe('/hook');
      expect(request!.headers).toMatchObject({
        'content-type': 'application/json',
        'custos-alert-id': id,
        'custos-timestamp': timestamp,
        'custos-delivery-attempt': '1',
      });
      expect(
        verifySignature(secret, timestamp, request!.body, String(request!.headers['custos-signature'])),
      ).toBe(true);
      expect(
        verifySignature(secret, timestamp, `${request!.body} `, String(request!.headers['custos-signature'])),
      ).toBe(false);
      expect(request!.body).toBe(canonicalize(JSON.parse(request!.body)));
      expect(JSON.parse(request!.body)).toEqual({
        v: 1,
        id,
        kind: alert.kind,
        severity: alert.severity,
        subject: alert.subject,
        notify: alert.notify,
        summary: alert.summary,
        details: alert.details,
        correlationId: alert.correlationId,
        createdAt: '2030-01-01T00:00:00.000Z',
        ledgerIndex: index,
      });

      const [delivered, ...more] = await records(t.store.read, 'alert.delivered');
      expect(more).toEqual([]);
      expect(delivered).toMatchObject({
        correlationId: alert.correlationId,
        subject: alert.subject,
        payload: {
          alertId: id,
          kind: 'run.paused',
          attempts: 1,
          webhooks: [{ webhook: 'webhook-1', origin: hook.base, status: 200, attempt: 1 }],
        },
      });
      expect(delivered!.refs.map((r) => r.index)).toEqual([index]);
      expect(await listAlerts(t.store.read)).toMatchObject([
        { id, state: 'delivered', attempts: 1, deliveredAt: '2030-01-01T00:00:00.000Z', ledgerIndex: index },
      ]);
    });

    it('500 then 200: waits out the backoff, then delivers on the second attempt', async () => {
      t = await createTestLedger(kind);
      const hook = await server((n) => (n === 0 ? 500 : 200));
      const clock = clockAt();
      const { id } = await raise(t.ledger, clock.now);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: hook.base }],
        now: clock.fn,
      });
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 1 });
      expect(await listAlerts(t.store.read)).toMatchObject([
        {
          state: 'pending',
          attempts: 1,
          lastError: `webhook-1 (${hook.base}): HTTP 500`,
          nextAttemptAt: '2030-01-01T00:00:30.000Z',
        },
      ]);
      clock.advance(29_999);
      expect(await delivery.deliverDue()).toEqual(NONE);
      expect(hook.received).toHaveLength(1);
      clock.advance(1);
      expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, retrying: 0 });
      expect(hook.received.map((r) => r.headers['custos-delivery-attempt'])).toEqual(['1', '2']);
      expect(hook.received[1]!.body).toBe(hook.received[0]!.body); // receivers can dedupe on it
      const [delivered] = await records(t.store.read, 'alert.delivered');
      expect(delivered!.payload).toMatchObject({
        alertId: id,
        attempts: 2,
        webhooks: [{ status: 200, attempt: 2 }],
      });
      expect(await listAlerts(t.store.read)).toMatchObject([
        { state: 'delivered', attempts: 2, lastError: null },
      ]);
    });

    it('always failing: failed after maxAttempts, recorded once, never attempted again', async () => {
      t = await createTestLedger(kind);
      const hook = await server(() => 503);
      const clock = clockAt();
      const { id, index } = await raise(t.ledger, clock.now);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: hook.base }],
        now: clock.fn,
        maxAttempts: 3,
        backoff: { baseMs: 1000, maxMs: 1500 },
      });
      const retry = { delivered: 0, failed: 0, retrying: 1 };
      expect(await delivery.deliverDue()).toEqual(retry);
      expect((await listAlerts(t.store.read))[0]!.nextAttemptAt).toBe('2030-01-01T00:00:01.000Z');
      clock.advance(1000);
      expect(await delivery.deliverDue()).toEqual(retry);
      expect((await listAlerts(t.store.read))[0]!.nextAttemptAt).toBe('2030-01-01T00:00:02.500Z'); // capped
      clock.advance(1500);
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, retrying: 0 });
      for (let i = 0; i < 3; i++) {
        clock.advance(7 * DAY);
        expect(await delivery.deliverDue()).toEqual(NONE);
      }
      expect(hook.received).toHaveLength(3);
      const failed = await records(t.store.read, 'alert.delivery_failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.payload).toEqual({
        alertId: id,
        kind: 'run.paused',
        attempts: 3,
        lastError: `webhook-1 (${hook.base}): HTTP 503`,
        webhooks: [],
      });
      expect(failed[0]!.refs.map((r) => r.index)).toEqual([index]);
      expect(await records(t.store.read, 'alert.delivered')).toEqual([]);
      expect(await listAlerts(t.store.read, { state: 'failed' })).toMatchObject([{ id, attempts: 3 }]);
    });

    it('a hanging receiver times out and a refused connection fails: both are failed attempts', async () => {
      t = await createTestLedger(kind);
      const hang = await server(() => 'hang');
      const closed = `http://127.0.0.1:${await freePort()}`;
      const clock = clockAt();
      await raise(t.ledger, clock.now);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: hang.base }, { url: closed }],
        now: clock.fn,
        timeoutMs: 200,
      });
      const started = performance.now();
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 1 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(hang.received).toHaveLength(1);
      expect((await listAlerts(t.store.read))[0]!.lastError).toBe(
        `webhook-1 (${hang.base}): timed out after 200 ms; webhook-2 (${closed}): network error ECONNREFUSED`,
      );
    });
  });
}
