/**
 * Delivery edges on both stores: credentials in webhook URLs and HMAC keys never reach errors,
 * records or the outbox; with several webhooks a retry goes only to those that have not accepted;
 * a deliverer that dies mid-send holds the alert only until its lease expires (and a last attempt
 * lost that way ends as failed, not as a retry beyond maxAttempts); bad configuration is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertDelivery, listAlerts, type AlertDeliveryOptions } from '../../src/alerts/index.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createTestLedger, storeKinds, type TestLedger } from '../support/stores.js';
import {
  clockAt,
  everythingStored,
  raise,
  records,
  startWebhookServer,
  type WebhookServer,
} from './support.js';

const DAY = 86_400_000;

for (const kind of storeKinds()) {
  describe(`alert delivery edges on ${kind.name}`, () => {
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

    it('keeps URL credentials, URL paths and the HMAC key out of errors, records and the outbox', async () => {
      t = await createTestLedger(kind);
      const hook = await server((n) => (n === 0 ? 500 : 200));
      const clock = clockAt();
      await raise(t.ledger, clock.now);
      const url =
        hook.base.replace('//', '//hookuser:hookpass@') + '/services/T0/B0/pathsecret?sig=querysecret';
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url, secret: 'hmac-key-0123456789abcdef' }],
        now: clock.fn,
      });
      expect(await delivery.deliverDue()).toMatchObject({ retrying: 1 });
      expect((await listAlerts(t.store.read))[0]!.lastError).toBe(`webhook-1 (${hook.base}): HTTP 500`);
      clock.advance(DAY);
      expect(await delivery.deliverDue()).toMatchObject({ delivered: 1 });
      const [request] = hook.received;
      expect(request!.path).toBe('/services/T0/B0/pathsecret?sig=querysecret');
      expect(request!.headers.authorization).toBe(
        `Basic ${Buffer.from('hookuser:hookpass').toString('base64')}`,
      );
      const stored = await everythingStored(t.store.read);
      for (const secret of ['hookuser', 'hookpass', 'pathsecret', 'querysecret', 'hmac-key']) {
        expect(stored).not.toContain(secret);
      }
    });

    it('with several webhooks, retries only the ones that have not accepted', async () => {
      t = await createTestLedger(kind);
      const ops = await server();
      const pager = await server((n) => (n === 0 ? 502 : 204));
      const clock = clockAt();
      const { id } = await raise(t.ledger, clock.now);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [
          { url: ops.base, name: 'ops' },
          { url: pager.base, name: 'pager' },
        ],
        now: clock.fn,
      });
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 1 });
      expect((await listAlerts(t.store.read))[0]!.lastError).toBe(`pager (${pager.base}): HTTP 502`);
      clock.advance(30_000);
      expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, retrying: 0 });
      expect([ops.received.length, pager.received.length]).toEqual([1, 2]);
      const [delivered] = await records(t.store.read, 'alert.delivered');
      expect(delivered!.payload).toEqual({
        alertId: id,
        kind: 'run.paused',
        attempts: 2,
        webhooks: [
          { webhook: 'ops', origin: ops.base, status: 200, attempt: 1 },
          { webhook: 'pager', origin: pager.base, status: 204, attempt: 2 },
        ],
      });
    });

    it('retries an alert abandoned mid-send once its lease expires, never before', async () => {
      t = await createTestLedger(kind);
      const hook = await server();
      const clock = clockAt();
      const { id } = await raise(t.ledger, clock.now);
      await abandon(t.ledger, id, 1, new Date(clock.now.getTime() + 60_000));
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: hook.base }],
        now: clock.fn,
      });
      clock.advance(59_999);
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 0 });
      expect(hook.received).toHaveLength(0);
      clock.advance(1);
      expect(await delivery.deliverDue()).toEqual({ delivered: 1, failed: 0, retrying: 0 });
      expect(hook.received.map((r) => r.headers['custos-delivery-attempt'])).toEqual(['2']);
      const [delivered] = await records(t.store.read, 'alert.delivered');
      expect(delivered!.payload).toMatchObject({ alertId: id, attempts: 2 });
    });

    it('an alert abandoned during its last attempt ends failed and recorded, not sent again', async () => {
      t = await createTestLedger(kind);
      const hook = await server();
      const clock = clockAt();
      const { id } = await raise(t.ledger, clock.now);
      await abandon(t.ledger, id, 3, clock.now);
      const delivery = createAlertDelivery({
        ledger: t.ledger,
        webhooks: [{ url: hook.base }],
        now: clock.fn,
        maxAttempts: 3,
      });
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 1, retrying: 0 });
      expect(hook.received).toHaveLength(0);
      const [failed] = await records(t.store.read, 'alert.delivery_failed');
      expect(failed!.payload).toMatchObject({
        alertId: id,
        attempts: 3,
        lastError: 'lease expired during attempt 3',
      });
      expect(await listAlerts(t.store.read)).toMatchObject([{ state: 'failed', attempts: 3 }]);
    });
  });
}

/** What a deliverer that crashed after claiming leaves behind. */
async function abandon(ledger: Ledger, id: string, attempts: number, leaseUntil: Date): Promise<void> {
  await ledger.transact((tx) =>
    tx.run(`UPDATE alerts SET state = 'sending', attempts = ?, next_attempt_at = ? WHERE id = ?`, [
      attempts,
      leaseUntil.toISOString(),
      id,
    ]),
  );
}

describe('webhook configuration', () => {
  // Configuration is checked before the ledger is used.
  const ledger = undefined as unknown as AlertDeliveryOptions['ledger'];
  it.each([
    ['a non-http URL', [{ url: 'ftp://user:topsecret@example.com/x' }], {}],
    ['an unparseable URL', [{ url: 'not a url topsecret' }], {}],
    ['a short HMAC key', [{ url: 'https://example.com/a', secret: 'topsecret' }], {}],
    ['a bad name', [{ url: 'https://example.com/a', name: 'has space' }], {}],
    [
      'a duplicate URL',
      [{ url: 'https://example.com/topsecret' }, { url: 'https://example.com/topsecret' }],
      {},
    ],
    ['zero attempts', [{ url: 'https://example.com/a' }], { maxAttempts: 0 }],
    [
      'a backoff cap below its base',
      [{ url: 'https://example.com/a' }],
      { backoff: { baseMs: 10, maxMs: 5 } },
    ],
  ])('refuses %s with CONFIG_INVALID, never echoing the URL', (_, webhooks, extra) => {
    let error: unknown;
    try {
      createAlertDelivery({ ledger, webhooks, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).not.toContain('topsecret');
  });
});
