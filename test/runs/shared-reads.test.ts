/**
 * The engine's shared reads of the inventory, on both stores: the identities and systems that the
 * planned steps of several runs ask for at the same moment are read with one query per kind, and
 * each run gets its own steps with what the inventory holds (or the defaults for a new identity).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PlannedStep } from '../../src/runs/run-model.js';
import { plannedSteps } from '../../src/runs/run-steps.js';
import { SharedReads } from '../../src/runs/shared-reads.js';
import { BundleRegistry } from '../../src/workflows/index.js';
import { storeKinds } from '../support/stores.js';
import { PG_PROD, createTestInventory, seedPrincipals, type TestInventory } from '../inventory/support.js';

function planned(stepId: string, identityId: string): PlannedStep {
  return { stepId, action: 'rotate', systemId: 'pg-prod', identityId, params: { n: 1 } };
}

for (const kind of storeKinds()) {
  describe(`shared reads on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    it('reads the identities and systems of every step asked for together with one query each', async () => {
      ti = await createTestInventory(kind);
      await seedPrincipals(ti.inventory);
      await ti.inventory.createSystem(PG_PROD, { actor: 'person:alice' });
      for (const id of ['app-1', 'app-2', 'app-3']) {
        await ti.inventory.createIdentity(
          { id, kind: 'service_account', system: 'pg-prod', externalId: `ext-${id}`, riskTier: 'low' },
          { actor: 'person:alice' },
        );
      }
      const { store, ledger } = ti.t;
      const reads = new SharedReads(
        store.read,
        ti.inventory,
        new BundleRegistry({ ledger, principals: (id) => ti.inventory.getPrincipal(id) }),
      );
      const query = store.read.query.bind(store.read);
      const tables: string[] = [];
      store.read.query = (sql, params) => {
        tables.push(/FROM (\w+)/.exec(sql)?.[1] ?? sql);
        return query(sql, params);
      };
      const [first, second] = await Promise.all([
        plannedSteps(reads.inventory, 'run_1', [planned('s2', 'app-2'), planned('s1', 'app-1')]),
        plannedSteps(reads.inventory, 'run_2', [planned('s1', 'app-3'), planned('s2', 'new-one')]),
      ]);
      store.read.query = query;
      expect(tables.sort()).toEqual(['inventory_identities', 'inventory_systems']);
      expect(first.map((s) => [s.step.runId, s.step.stepId, s.step.identity])).toEqual([
        ['run_1', 's1', { id: 'app-1', kind: 'service_account', externalId: 'ext-app-1' }],
        ['run_1', 's2', { id: 'app-2', kind: 'service_account', externalId: 'ext-app-2' }],
      ]);
      expect(second.map((s) => s.step.identity)).toEqual([
        { id: 'app-3', kind: 'service_account', externalId: 'ext-app-3' },
        { id: 'new-one', kind: 'token', externalId: 'new-one' },
      ]);
      expect(first[0]!.step.system).toMatchObject({ id: 'pg-prod', type: 'postgres', environment: 'prod' });
      expect(first.every((s) => s.status === 'planned' && s.prior === null && s.result === null)).toBe(true);
    });
  });
}
