/**
 * Lookups by (first, second) pairs (store/multi-row.ts pairLookup), which the token issuer, the
 * inventory and idempotency keys use: exactly the pairs asked come back, on both stores, and on
 * PostgreSQL a lookup in a large table is answered by the index, not by reading the whole table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ROWS, pairLookup } from '../../src/store/multi-row.js';
import { openStore, type Store } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';

const ROWS = 20_000;

for (const kind of storeKinds()) {
  describe(`pair lookups on ${kind.name}`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    async function table(): Promise<Store> {
      store = await openStore(await kind.fresh());
      await store.write.run(
        'CREATE TABLE pairs (a TEXT NOT NULL, b TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (a, b))',
      );
      // 20 systems of 1,000 names each, every name on every system.
      const rows: string[][] = [];
      for (let i = 0; i < ROWS; i++) rows.push([`sys-${i % 20}`, `name-${Math.floor(i / 20)}`, `v${i}`]);
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await store.write.run(
          `INSERT INTO pairs (a, b, v) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
          chunk.flat(),
        );
      }
      await store.write.run('ANALYZE');
      return store;
    }

    it('finds exactly the pairs asked, not the crossed ones the two lists also match', async () => {
      const s = await table();
      const asked: [string, string][] = [
        ['sys-1', 'name-7'],
        ['sys-2', 'name-8'],
        ['sys-3', 'name-999'],
        ['sys-3', 'missing'],
      ];
      const lookup = pairLookup(['a', 'b'], asked);
      const rows = await s.read.query<{ a: string; b: string; v: string }>(
        `SELECT a, b, v FROM pairs WHERE ${lookup.where}`,
        lookup.params,
      );
      // sys-1/name-8, sys-2/name-7 and the others exist too: the lists match them, the filter drops them.
      expect(rows.length).toBeGreaterThan(3);
      const kept = rows.filter((r) => lookup.asked(r.a, r.b)).map((r) => `${r.a}/${r.b}`);
      expect(kept.sort()).toEqual(['sys-1/name-7', 'sys-2/name-8', 'sys-3/name-999']);
    });

    it.runIf(kind.name === 'postgres')('is answered by the index of a large table', async () => {
      const s = await table();
      const asked = Array.from({ length: MAX_ROWS }, (_, i): [string, string] => ['sys-4', `name-${i * 7}`]);
      const lookup = pairLookup(['a', 'b'], asked);
      const plan = await s.read.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT a, b, v FROM pairs WHERE ${lookup.where}`,
        lookup.params,
      );
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('pairs_pkey');
      expect(text).not.toContain('Seq Scan');
    });

    it('refuses more pairs than one statement carries', () => {
      const many = Array.from({ length: MAX_ROWS + 1 }, (_, i): [string, string] => ['a', `${i}`]);
      expect(() => pairLookup(['a', 'b'], many)).toThrow(RangeError);
    });
  });
}
