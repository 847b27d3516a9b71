/**
 * Liveness and readiness on both stores: /readyz is 503 naming the failed check when a migration
 * this build knows is missing from the store, or when the store does not answer; /healthz answers
 * as long as the process serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';

for (const kind of storeKinds()) {
  describe(`health on ${kind.name}`, () => {
    let f: ApiFixture;
    beforeAll(async () => {
      f = await createApiFixture(kind);
    });
    afterAll(async () => {
      await f.server.close();
      await f.custos.close().catch(() => undefined); // the store was closed by the test
    });

    it('is ready only with every migration applied and the store answering', async () => {
      expect((await f.request('GET', '/readyz')).json).toMatchObject({ status: 'ready' });
      const latest = MIGRATIONS.at(-1)!;
      const [row] = await f.custos.store.read.query<{ applied_at: string }>(
        'SELECT applied_at FROM schema_migrations WHERE version = ?',
        [latest.version],
      );
      await f.custos.ledger.transact((tx) =>
        tx.run('DELETE FROM schema_migrations WHERE version = ?', [latest.version]),
      );
      const behind = await f.request('GET', '/readyz');
      expect(behind.status).toBe(503);
      expect(behind.json).toEqual({
        status: 'unready',
        checks: { store: 'ok', migrations: 'failed', ledger: 'ok' },
      });
      await f.custos.ledger.transact((tx) =>
        tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          latest.version,
          latest.name,
          row!.applied_at,
        ]),
      );
      expect((await f.request('GET', '/readyz')).status).toBe(200);

      await f.custos.ledger.writer.idle();
      await f.custos.store.close();
      const down = await f.request('GET', '/readyz');
      expect(down.status).toBe(503);
      expect(down.json).toEqual({
        status: 'unready',
        checks: { store: 'failed', migrations: 'failed', ledger: 'failed' },
      });
      expect((await f.request('GET', '/healthz')).json).toEqual({ status: 'ok' });
    });
  });
}
