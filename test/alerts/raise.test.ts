/**
 * Raising alerts on both stores: the record and the outbox row commit together or not at all,
 * malformed alerts are refused with INPUT_INVALID naming the field, secrets are refused by the
 * ledger's guard, and without webhooks alerts wait, listed, as pending.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertDelivery, listAlerts, raiseAlert, type AlertInput } from '../../src/alerts/index.js';
import { fingerprint, fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { createTestLedger, storeKinds, type TestLedger } from '../support/stores.js';
import { clockAt, raise, records, sampleAlert } from './support.js';

async function count(t: TestLedger): Promise<{ alerts: number; size: number }> {
  const [row] = await t.store.read.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM alerts');
  return { alerts: Number(row!.n), size: await t.ledger.size() };
}

async function refused(t: TestLedger, input: AlertInput): Promise<unknown> {
  const before = await count(t);
  const error = await t.ledger
    .transact((tx) => raiseAlert(tx, input, new Date()))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(await count(t)).toEqual(before);
  return error;
}

for (const kind of storeKinds()) {
  describe(`raising alerts on ${kind.name}`, () => {
    let t: TestLedger;
    afterEach(async () => {
      await t.close();
    });

    it('appends alert.raised and queues a pending outbox row in one transaction', async () => {
      t = await createTestLedger(kind);
      const clock = clockAt();
      const { id, index } = await raise(
        t.ledger,
        clock.now,
        sampleAlert({ notify: ['person:alice', 'person:alice'] }),
      );
      expect(id).toMatch(/^alert_[0-9a-f-]{36}$/);
      const [record] = await records(t.store.read, 'alert.raised');
      expect(record).toMatchObject({
        index,
        type: 'alert.raised',
        correlationId: 'run_1',
        actor: { kind: 'non_human', id: 'custos' },
        subject: { kind: 'run', id: 'run_1' },
        payload: {
          alertId: id,
          kind: 'run.paused',
          severity: 'warning',
          notify: ['person:alice'],
          summary: 'Run run_1 paused: verification failed on pg-prod',
          details: { run: 'run_1', state: 'paused', reason: 'verification failed on pg-prod' },
        },
      });
      const [alert, ...rest] = await listAlerts(t.store.read);
      expect(rest).toEqual([]);
      expect(alert).toMatchObject({
        id,
        state: 'pending',
        attempts: 0,
        createdAt: clock.now.toISOString(),
        nextAttemptAt: clock.now.toISOString(),
        lastError: null,
        deliveredAt: null,
        ledgerIndex: null,
      });
    });

    it('leaves neither record nor outbox row when the transaction rolls back', async () => {
      t = await createTestLedger(kind);
      const before = await count(t);
      const failed = t.ledger.transact(async (tx) => {
        await raiseAlert(tx, sampleAlert(), new Date());
        throw new Error('the change that caused the alert failed');
      });
      await expect(failed).rejects.toThrow('the change that caused the alert failed');
      expect(await count(t)).toEqual(before);
      expect(await records(t.store.read, 'alert.raised')).toEqual([]);
    });

    it('with no webhooks, deliverDue does nothing and alerts stay pending and listed', async () => {
      t = await createTestLedger(kind);
      const clock = clockAt();
      const { id } = await raise(t.ledger, clock.now);
      await raise(
        t.ledger,
        clock.now,
        sampleAlert({ subject: { kind: 'grant', id: 'g1' }, kind: 'review.overdue' }),
      );
      const delivery = createAlertDelivery({ ledger: t.ledger, webhooks: [], now: clock.fn });
      clock.advance(86_400_000);
      expect(await delivery.deliverDue()).toEqual({ delivered: 0, failed: 0, retrying: 0 });
      expect((await listAlerts(t.store.read, { state: 'pending' })).map((a) => a.state)).toEqual([
        'pending',
        'pending',
      ]);
      const forRun = await listAlerts(t.store.read, { subject: { kind: 'run', id: 'run_1' } });
      expect(forRun.map((a) => a.id)).toEqual([id]);
      expect(await listAlerts(t.store.read, { state: 'delivered' })).toEqual([]);
      await expect(listAlerts(t.store.read, { state: 'lost' as 'failed' })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
    });
  });

  describe(`refusing alerts on ${kind.name}`, () => {
    let t: TestLedger;
    beforeAll(async () => {
      t = await createTestLedger(kind);
    });
    afterAll(async () => {
      await t.close();
    });

    it.each([
      ['notify', { notify: [] }],
      ['notify', { notify: ['alice'] }],
      ['notify', { notify: ['service:ci'] }],
      ['summary', { summary: '' }],
      ['summary', { summary: 'x'.repeat(301) }],
      ['summary', { summary: 'two\nlines' }],
      ['severity', { severity: 'fatal' }],
      ['kind', { kind: 'Paused' }],
      ['subject', { subject: { kind: 'run', id: '' } }],
      ['correlationId', { correlationId: 'has space' }],
      ['details', { details: [] }],
      ['details', { details: { n: Number.NaN } }],
      ['details', { details: { blob: 'x'.repeat(9000) } }],
    ])('refuses a bad %s with INPUT_INVALID and writes nothing', async (field, change) => {
      const error = await refused(t, { ...sampleAlert(), ...change } as AlertInput);
      expect(error).toMatchObject({ code: 'INPUT_INVALID', details: { field } });
    });

    it('leaves nothing behind for a caller that catches the refusal and commits anyway', async () => {
      const before = await count(t);
      const bad = { ...sampleAlert(), actor: { kind: 'robot', id: 'r2' } } as unknown as AlertInput;
      const { value } = await t.ledger.transact(async (tx) => {
        try {
          await raiseAlert(tx, bad, new Date());
        } catch (e) {
          return e;
        }
        return undefined;
      });
      expect(value).toMatchObject({ code: 'RECORD_MALFORMED' });
      expect(await count(t)).toEqual(before);
    });

    it('refuses secrets with the ledger guard (fingerprints pass) and writes nothing', async () => {
      for (const details of [
        { apiToken: 'tok_live_123' },
        { nested: { password: 'hunter2' } },
        { note: '-----BEGIN PRIVATE KEY-----\nMIIE' },
      ]) {
        const error = await refused(t, sampleAlert({ details }));
        expect(error).toMatchObject({ code: 'RECORD_SECRET_FIELD' });
      }
      const leaked = await refused(t, sampleAlert({ summary: '-----BEGIN RSA PRIVATE KEY-----' }));
      expect(leaked).toMatchObject({ code: 'RECORD_SECRET_FIELD' });
      const key = fingerprintKeyFrom(Buffer.alloc(32, 7));
      await raise(
        t.ledger,
        new Date(),
        sampleAlert({ details: { apiToken: fingerprint(key, 'tok_live_123') } }),
      );
      expect(await listAlerts(t.store.read)).toHaveLength(1);
    });
  });
}
