/**
 * A system's reconciliation status on both stores: the row and its record commit together, the
 * source-of-truth gate reads what was recorded, and any refused input writes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS, type ReconciliationInput } from '../../src/inventory/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { gateFailure } from '../../src/runs/gate.js';
import { storeKinds } from '../support/stores.js';
import { PG_PROD, createTestInventory, records, seedPrincipals, type TestInventory } from './support.js';

const HOUR = 3600 * 1000;

for (const kind of storeKinds()) {
  describe(`reconciliation status on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    async function seeded(): Promise<TestInventory> {
      ti = await createTestInventory(kind);
      await seedPrincipals(ti.inventory);
      await ti.inventory.createSystem(PG_PROD, { actor: 'person:alice' });
      return ti;
    }

    it('sets the status with its record in one commit, and the gate reads it', async () => {
      const { inventory, t } = await seeded();
      const fresh = (await inventory.getSystem('pg-prod'))!;
      expect(fresh).toMatchObject({ lastReconciledAt: null, openCriticalFindings: 0 });
      expect(gateFailure(fresh, 86_400, new Date())).toMatch(/never been reconciled/);

      const first = new Date(Date.now() - 2 * HOUR);
      const flagged = await inventory.recordReconciliation('pg-prod', {
        at: first.toISOString().replace('Z', '+00:00'),
        openCriticalFindings: 2,
        actor: 'service:ci-pipeline',
        summary: '2 unmanaged superuser roles',
        correlationId: 'recon-1',
      });
      expect(flagged).toMatchObject({ lastReconciledAt: first.toISOString(), openCriticalFindings: 2 });
      expect(await inventory.getSystem('pg-prod')).toEqual(flagged);
      expect(gateFailure(flagged, 86_400, new Date())).toMatch(/2 open critical finding/);

      const second = new Date();
      const clean = await inventory.recordReconciliation('pg-prod', {
        at: second,
        openCriticalFindings: 0,
        actor: 'person:bob',
      });
      expect(clean).toMatchObject({ lastReconciledAt: second.toISOString(), openCriticalFindings: 0 });
      expect(gateFailure(clean, 86_400, new Date())).toBeUndefined();
      // Older than the workflow allows: the gate fails again, with no new record needed.
      expect(gateFailure(clean, 60, new Date(second.getTime() + 120_000))).toMatch(/allows 60 s/);

      const reconciled = (await records(t)).filter((r) => r.type === 'inventory.system_reconciled');
      expect(reconciled).toHaveLength(2);
      expect(reconciled[0]).toMatchObject({
        correlationId: 'recon-1',
        actor: { kind: 'non_human', id: 'service:ci-pipeline' },
        subject: { kind: 'system', id: 'pg-prod' },
      });
      expect(reconciled[0]!.payload).toEqual({
        at: first.toISOString(),
        openCriticalFindings: 2,
        previous: { at: null, openCriticalFindings: 0 },
        summary: '2 unmanaged superuser roles',
      });
      expect(reconciled[1]).toMatchObject({ actor: { kind: 'human', id: 'person:bob' } });
      expect(reconciled[1]!.payload).toEqual({
        at: second.toISOString(),
        openCriticalFindings: 0,
        previous: { at: first.toISOString(), openCriticalFindings: 2 },
      });
      await verifyLive(t.ledger);
    });

    it('refuses bad input with a stable code and writes neither state nor record', async () => {
      const { inventory, t } = await seeded();
      const at = new Date(Date.now() - HOUR);
      await inventory.recordReconciliation('pg-prod', { at, openCriticalFindings: 1, actor: 'person:bob' });
      const system = await inventory.getSystem('pg-prod');
      const size = await t.ledger.size();
      const ok: ReconciliationInput = { at: new Date(), openCriticalFindings: 0, actor: 'person:bob' };
      const cases: [string, string, ReconciliationInput, string][] = [
        ['unknown system', 'pg-nowhere', ok, 'NOT_FOUND'],
        ['negative findings', 'pg-prod', { ...ok, openCriticalFindings: -1 }, 'INPUT_INVALID'],
        ['fractional findings', 'pg-prod', { ...ok, openCriticalFindings: 1.5 }, 'INPUT_INVALID'],
        ['NaN findings', 'pg-prod', { ...ok, openCriticalFindings: Number.NaN }, 'INPUT_INVALID'],
        ['findings as text', 'pg-prod', { ...ok, openCriticalFindings: '0' as never }, 'INPUT_INVALID'],
        ['time without a zone', 'pg-prod', { ...ok, at: '2025-06-01T10:00:00' }, 'INPUT_INVALID'],
        ['not a time', 'pg-prod', { ...ok, at: 'yesterday' }, 'INPUT_INVALID'],
        ['invalid Date', 'pg-prod', { ...ok, at: new Date(Number.NaN) }, 'INPUT_INVALID'],
        [
          'from the future',
          'pg-prod',
          { ...ok, at: new Date(Date.now() + MAX_CLOCK_SKEW_MS + 60_000) },
          'INPUT_INVALID',
        ],
        [
          'older than the recorded one',
          'pg-prod',
          { ...ok, at: new Date(at.getTime() - 1000) },
          'INPUT_INVALID',
        ],
        ['empty summary', 'pg-prod', { ...ok, summary: '' }, 'INPUT_INVALID'],
        ['unknown actor', 'pg-prod', { ...ok, actor: 'person:mallory' }, 'PRINCIPAL_UNKNOWN'],
        ['a group acting', 'pg-prod', { ...ok, actor: 'group:dba' }, 'PRINCIPAL_KIND_INVALID'],
      ];
      for (const [name, id, input, code] of cases) {
        await expect(inventory.recordReconciliation(id, input), name).rejects.toMatchObject({ code });
      }
      expect(await inventory.getSystem('pg-prod')).toEqual(system);
      expect(await t.ledger.size()).toBe(size);
    });

    it('keeps the status when the system itself is updated or re-imported', async () => {
      const { inventory } = await seeded();
      const at = new Date();
      await inventory.recordReconciliation('pg-prod', { at, openCriticalFindings: 3, actor: 'person:bob' });
      const updated = await inventory.updateSystem(
        'pg-prod',
        { connection: { ...PG_PROD.connection, port: 6432 } },
        { actor: 'person:alice' },
      );
      expect(updated).toMatchObject({ lastReconciledAt: at.toISOString(), openCriticalFindings: 3 });
      const text = JSON.stringify({ systems: [{ ...PG_PROD, environment: 'staging' }] });
      await inventory.import({ file: 'systems.json', text }, { actor: 'person:alice' });
      expect(await inventory.getSystem('pg-prod')).toMatchObject({
        environment: 'staging',
        lastReconciledAt: at.toISOString(),
        openCriticalFindings: 3,
      });
    });
  });
}
