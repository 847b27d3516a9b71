import { afterEach, describe, expect, it } from 'vitest';
import { createInventory } from '../../src/inventory/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { storeKinds, tempDir } from '../support/stores.js';
import { PG_PROD, count, createTestInventory, seedPrincipals, type TestInventory } from './support.js';

const as = { actor: 'person:alice' };

// Two processes (here: two stores on one PostgreSQL database) creating the same system at once.
for (const kind of storeKinds().filter((k) => k.name === 'postgres')) {
  describe('inventory across processes on postgres', () => {
    let ti: TestInventory;
    let other: Store | undefined;
    afterEach(async () => {
      await other?.close();
      await ti.close();
    });

    it('one create wins; the other is refused with a code, never a raw database error', async () => {
      ti = await createTestInventory(kind);
      await seedPrincipals(ti.inventory);
      other = await openStore({ dataDir: tempDir(), databaseUrl: ti.t.store.description });
      const ledger2 = new Ledger({ store: other, now: () => new Date() });
      const inventory2 = createInventory({ ledger: ledger2, now: () => new Date() });
      for (let round = 0; round < 5; round++) {
        const system = { ...PG_PROD, id: `pg-${round}` };
        const results = await Promise.allSettled([
          ti.inventory.createSystem(system, as),
          inventory2.createSystem(system, as),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const [refused] = results.filter((r) => r.status === 'rejected');
        expect(['STORE_CONFLICT', 'DUPLICATE_ID']).toContain(
          (refused?.reason as { code?: string } | undefined)?.code,
        );
      }
      await ledger2.writer.idle();
      expect(await count(ti.t, 'inventory_systems')).toBe(5);
    });
  });
}
