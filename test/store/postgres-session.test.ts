/**
 * Custos's PostgreSQL sessions price index probes for a cached store (SESSION_OPTIONS), so that a
 * batch of key lookups stays an index lookup on tables of a few thousand rows.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { createDatabase } from '../harness/postgres.js';
import { tempDir } from '../support/stores.js';

const pgUrl = inject('pgUrl');
const stores: Store[] = [];

async function fresh(query = ''): Promise<Store> {
  const url = await createDatabase(pgUrl!, `t_${crypto.randomBytes(6).toString('hex')}`);
  const store = await openStore({ dataDir: tempDir(), databaseUrl: `${url}${query}` });
  stores.push(store);
  return store;
}

afterAll(async () => {
  for (const s of stores) await s.close();
});

describe.skipIf(pgUrl === null)('PostgreSQL sessions of the store', () => {
  it('read and write connections plan with random_page_cost 1.1', async () => {
    const store = await fresh();
    const [read] = await store.read.query<{ random_page_cost: string }>('SHOW random_page_cost');
    expect(read?.random_page_cost).toBe('1.1');
    const [written] = await store.write.query<{ random_page_cost: string }>('SHOW random_page_cost');
    expect(written?.random_page_cost).toBe('1.1');
  });

  it('runs at READ COMMITTED even where the database defaults to a stricter isolation', async () => {
    const url = await createDatabase(pgUrl!, `t_${crypto.randomBytes(6).toString('hex')}`);
    const name = new URL(url).pathname.slice(1);
    const admin = await fresh();
    await admin.write.run(`ALTER DATABASE ${name} SET default_transaction_isolation = 'repeatable read'`);
    const store = await openStore({ dataDir: tempDir(), databaseUrl: url });
    stores.push(store);
    for (const sql of [store.read, store.write]) {
      const [row] = await sql.query<{ transaction_isolation: string }>('SHOW transaction_isolation');
      expect(row?.transaction_isolation).toBe('read committed');
    }
  });

  it('leaves the setting to the store URL when it sets options', async () => {
    const store = await fresh(`?options=${encodeURIComponent('-c random_page_cost=2')}`);
    const [row] = await store.read.query<{ random_page_cost: string }>('SHOW random_page_cost');
    expect(row?.random_page_cost).toBe('2');
  });

  it('looks 64 keys up in a table of 3,000 rows through its primary key, not a scan', async () => {
    const store = await fresh();
    await store.write.run(
      `INSERT INTO token_operations (run_id, step_id, action, system_id, identity_id, credential_id, outputs, applied_at)
       SELECT 'run_' || i, 's1', 'create', 'tokens', 'id_' || i, NULL, '{}', '2026-01-01T00:00:00Z'
       FROM generate_series(1, 3000) AS i`,
    );
    await store.write.run('ANALYZE token_operations');
    const keys = Array.from({ length: 64 }, (_, i) => [`run_${i * 40 + 1}`, 's1']);
    const plan = await store.read.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT run_id FROM token_operations WHERE (run_id, step_id) IN (VALUES ${keys.map(() => '(?, ?)').join(', ')})`,
      keys.flat(),
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan using token_operations_pkey/);
    expect(text).not.toMatch(/Seq Scan on token_operations/);
  });
});
