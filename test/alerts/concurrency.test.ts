/**
 * Two deliverers draining the same outbox at once send every alert exactly once: in one process
 * (sharing the ledger's writer) and, on PostgreSQL, from two connections as two processes would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertDelivery, listAlerts, type DeliveryReport } from '../../src/alerts/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createTestLedger, storeKinds, tempDir, type TestLedger } from '../support/stores.js';
import { clockAt, raise, records, sampleAlert, startWebhookServer, type WebhookServer } from './support.js';

const ALERTS = 12;

async function raiseMany(ledger: Ledger, now: Date): Promise<string[]> {
  const raised = await Promise.all(
    Array.from({ length: ALERTS }, (_, i) =>
      raise(
        ledger,
        now,
        sampleAlert({ subject: { kind: 'run', id: `run_${i}` }, correlationId: `run_${i}` }),
      ),
    ),
  );
  return raised.map((r) => r.id);
}

function total(reports: readonly DeliveryReport[]): DeliveryReport {
  return reports.reduce((a, b) => ({
    delivered: a.delivered + b.delivered,
    failed: a.failed + b.failed,
    retrying: a.retrying + b.retrying,
  }));
}

for (const kind of storeKinds()) {
  describe(`concurrent deliverers on ${kind.name}`, () => {
    let t: TestLedger;
    let hook: WebhookServer;
    let other: Store | undefined;
    afterEach(async () => {
      await hook.close();
      await other?.close();
      other = undefined;
      await t.close();
    });

    async function expectExactlyOnce(
      ids: readonly string[],
      reports: readonly DeliveryReport[],
    ): Promise<void> {
      expect(total(reports)).toEqual({ delivered: ALERTS, failed: 0, retrying: 0 });
      const sent = hook.received.map((r) => String(r.headers['custos-alert-id']));
      expect([...sent].sort()).toEqual([...ids].sort());
      expect(await records(t.store.read, 'alert.delivered')).toHaveLength(ALERTS);
      expect(await listAlerts(t.store.read, { state: 'delivered' })).toHaveLength(ALERTS);
    }

    it('two deliverers in one process send each alert exactly once', async () => {
      t = await createTestLedger(kind);
      hook = await startWebhookServer(() => 200, 20);
      const clock = clockAt();
      const ids = await raiseMany(t.ledger, clock.now);
      const options = { ledger: t.ledger, webhooks: [{ url: hook.base }], now: clock.fn, concurrency: 3 };
      const [a, b] = [createAlertDelivery(options), createAlertDelivery(options)];
      const reports = await Promise.all([a.deliverDue(), b.deliverDue(), a.deliverDue()]);
      await expectExactlyOnce(ids, reports);
    });

    if (kind.name !== 'postgres') return;
    it('two processes sharing PostgreSQL send each alert exactly once', async () => {
      t = await createTestLedger(kind);
      hook = await startWebhookServer(() => 200, 20);
      const clock = clockAt();
      const ids = await raiseMany(t.ledger, clock.now);
      other = await openStore({ dataDir: tempDir(), databaseUrl: t.store.description });
      const ledger2 = new Ledger({ store: other, now: () => new Date() });
      const webhooks = [{ url: hook.base }];
      const reports = await Promise.all([
        createAlertDelivery({ ledger: t.ledger, webhooks, now: clock.fn, concurrency: 3 }).deliverDue(),
        createAlertDelivery({ ledger: ledger2, webhooks, now: clock.fn, concurrency: 3 }).deliverDue(),
      ]);
      await ledger2.writer.idle();
      await expectExactlyOnce(ids, reports);
    });
  });
}
