import { afterEach, describe, expect, it } from 'vitest';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import {
  FINGERPRINT,
  PG_PROD,
  count,
  createTestInventory,
  records,
  seedPrincipals,
  type TestInventory,
} from './support.js';

const as = { actor: 'person:alice' };
const OWNERS = { business: 'person:bob', policy: 'group:security', platform: 'group:platform' };
const TOKEN = {
  id: 'payments-api-token',
  kind: 'api_key',
  system: 'pg-prod',
  externalId: 'payments-service',
  riskTier: 'high',
} as const;

for (const kind of storeKinds()) {
  describe(`inventory on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    it('creates and updates entities, each with its record in the same commit', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await seedPrincipals(inventory);
      await inventory.createSystem(PG_PROD, { actor: 'service:ci-pipeline' });
      const created = await inventory.createIdentity(
        {
          ...TOKEN,
          owners: OWNERS,
          credentials: [{ fingerprint: FINGERPRINT, issuedAt: '2025-01-15T09:00:00Z' }],
        },
        as,
      );
      expect(created).toMatchObject({ state: 'requested', owners: OWNERS, tags: {}, lastVerifiedAt: null });
      expect(created.credentials[0]!.issuedAt).toBe('2025-01-15T09:00:00.000Z');
      const updated = await inventory.updateIdentity(
        TOKEN.id,
        { state: 'active', tags: { app: 'payments' } },
        as,
      );
      expect(updated).toMatchObject({ state: 'active', tags: { app: 'payments' }, owners: OWNERS });

      const all = await records(t);
      expect(all.map((r) => r.type)).toEqual([
        'ledger.created',
        ...Array<string>(6).fill('inventory.principal_created'),
        'inventory.system_created',
        'inventory.identity_created',
        'inventory.identity_updated',
      ]);
      const [first] = all.filter((r) => r.type === 'inventory.principal_created');
      expect(first).toMatchObject({
        actor: { kind: 'human', id: 'person:alice' },
        payload: { bootstrap: true },
      });
      const system = all.find((r) => r.type === 'inventory.system_created')!;
      expect(system.actor).toEqual({ kind: 'non_human', id: 'service:ci-pipeline' });
      expect(system.subject).toEqual({ kind: 'system', id: 'pg-prod' });
      const update = all.at(-1)!;
      expect(update.payload).toEqual({
        changes: { state: { from: 'requested', to: 'active' }, tags: { from: {}, to: { app: 'payments' } } },
      });
      await verifyLive(t.ledger);
    });

    it('writes neither state nor record when the change or its record fails', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await seedPrincipals(inventory);
      const size = await t.ledger.size();
      await expect(inventory.createIdentity({ ...TOKEN, system: 'nope' }, as)).rejects.toMatchObject({
        code: 'SYSTEM_UNKNOWN',
        details: { field: 'system' },
      });
      expect(await t.ledger.size()).toBe(size);
      expect(await count(t, 'inventory_identities')).toBe(0);

      // If the ledger cannot record, the system is not created either.
      const trigger =
        kind.name === 'sqlite'
          ? [
              "CREATE TRIGGER no_records BEFORE INSERT ON ledger_records BEGIN SELECT RAISE(ABORT, 'disk full'); END",
            ]
          : [
              "CREATE FUNCTION no_records() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
              'CREATE TRIGGER no_records BEFORE INSERT ON ledger_records FOR EACH ROW EXECUTE FUNCTION no_records()',
            ];
      for (const sql of trigger) await t.store.write.run(sql);
      await expect(inventory.createSystem(PG_PROD, as)).rejects.toMatchObject({
        code: 'LEDGER_APPEND_FAILED',
      });
      expect(await count(t, 'inventory_systems')).toBe(0);
      expect(await t.ledger.size()).toBe(size);
    });

    it('refuses an active identity without its three owners', async () => {
      ti = await createTestInventory(kind);
      const { inventory } = ti;
      await seedPrincipals(inventory);
      await inventory.createSystem(PG_PROD, as);
      await expect(
        inventory.createIdentity({ ...TOKEN, state: 'active', owners: { business: 'person:bob' } }, as),
      ).rejects.toMatchObject({ code: 'OWNERS_MISSING', details: { field: 'owners.policy', problems: 2 } });
      await inventory.createIdentity(
        { ...TOKEN, owners: { business: 'person:bob', policy: 'group:security' } },
        as,
      );
      await expect(inventory.updateIdentity(TOKEN.id, { state: 'active' }, as)).rejects.toMatchObject({
        code: 'OWNERS_MISSING',
        details: { field: 'owners.platform' },
      });
      // Owners merge per role: naming the missing one is enough.
      const active = await inventory.updateIdentity(
        TOKEN.id,
        { state: 'active', owners: { platform: 'group:platform' } },
        as,
      );
      expect(active.owners).toEqual(OWNERS);
      await expect(
        inventory.updateIdentity(TOKEN.id, { owners: { platform: 'service:ci-pipeline' } }, as),
      ).rejects.toMatchObject({ code: 'PRINCIPAL_KIND_INVALID', details: { field: 'owners.platform' } });
      await expect(
        inventory.updateIdentity(TOKEN.id, { owners: { policy: 'person:nobody' } }, as),
      ).rejects.toMatchObject({ code: 'PRINCIPAL_UNKNOWN', details: { field: 'owners.policy' } });
    });

    it('follows the lifecycle and refuses illegal transitions', async () => {
      ti = await createTestInventory(kind);
      const { inventory } = ti;
      await seedPrincipals(inventory);
      await inventory.createSystem(PG_PROD, as);
      await inventory.createIdentity({ ...TOKEN, owners: OWNERS }, as);
      const illegal = { code: 'STATE_TRANSITION_INVALID', details: { field: 'state' } };
      await expect(inventory.updateIdentity(TOKEN.id, { state: 'suspended' }, as)).rejects.toMatchObject(
        illegal,
      );
      for (const state of ['active', 'suspended', 'active', 'retired'] as const) {
        expect((await inventory.updateIdentity(TOKEN.id, { state }, as)).state).toBe(state);
      }
      for (const state of ['active', 'suspended', 'requested'] as const) {
        await expect(inventory.updateIdentity(TOKEN.id, { state }, as)).rejects.toMatchObject(illegal);
      }
      await expect(
        inventory.updateIdentity(TOKEN.id, { state: 'paused' as never }, as),
      ).rejects.toMatchObject({
        code: 'ENUM_INVALID',
      });
    });

    it('checks actors, duplicates, immutables and memberships', async () => {
      ti = await createTestInventory(kind);
      const { inventory, t } = ti;
      await expect(inventory.createPrincipal({ id: 'person:bob' }, as)).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
        details: { field: 'actor' },
      });
      await seedPrincipals(inventory);
      await expect(
        inventory.createPrincipal({ id: 'person:zoe' }, { actor: 'group:dba' }),
      ).rejects.toMatchObject({
        code: 'PRINCIPAL_KIND_INVALID',
      });
      await expect(
        inventory.createPrincipal({ id: 'person:zoe' }, { actor: 'person:zoe' }),
      ).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
      });
      await expect(inventory.createPrincipal({ id: 'person:bob' }, as)).rejects.toMatchObject({
        code: 'DUPLICATE_ID',
      });
      // A patch that does not touch a principal's groups keeps them (and does not re-check them).
      const renamed = await inventory.updatePrincipal('person:bob', { displayName: 'Bob B.' }, as);
      expect(renamed.groups).toEqual(['group:dba']);
      await expect(
        inventory.updatePrincipal('person:bob', { groups: ['group:nope'] }, as),
      ).rejects.toMatchObject({ code: 'PRINCIPAL_UNKNOWN' });
      await inventory.createSystem(PG_PROD, as);
      await expect(inventory.updateSystem('pg-prod', { type: 'redis' }, as)).rejects.toMatchObject({
        code: 'FIELD_IMMUTABLE',
      });
      await expect(inventory.updateSystem('pg-nope', { environment: 'dev' }, as)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await inventory.createIdentity(TOKEN, as);
      await expect(inventory.createIdentity({ ...TOKEN, id: 'other' }, as)).rejects.toMatchObject({
        code: 'DUPLICATE_ID',
        details: { field: 'externalId' },
      });

      const bob = await inventory.addMembership('group:security', 'person:bob', as);
      expect(bob.groups).toEqual(['group:dba', 'group:security']);
      expect((await inventory.getPrincipal('group:security'))?.members).toEqual(['person:bob']);
      await inventory.removeMembership('group:dba', 'person:bob', as);
      expect((await inventory.getPrincipal('group:dba'))?.members).toEqual([]);
      const last = (await records(t)).at(-1)!;
      expect(last).toMatchObject({
        type: 'inventory.principal_updated',
        subject: { kind: 'principal', id: 'person:bob' },
        payload: { changes: { groups: { from: ['group:dba', 'group:security'], to: ['group:security'] } } },
      });
      await expect(inventory.addMembership('group:nope', 'person:bob', as)).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
      });
    });

    it('lists by id, a page at a time', async () => {
      ti = await createTestInventory(kind);
      const { inventory } = ti;
      await seedPrincipals(inventory);
      await inventory.createSystem(PG_PROD, as);
      for (const i of [3, 1, 2])
        await inventory.createIdentity({ ...TOKEN, id: `id-${i}`, externalId: `x${i}` }, as);
      const first = await inventory.listIdentities({ limit: 2 });
      expect(first.items.map((i) => i.id)).toEqual(['id-1', 'id-2']);
      expect(first.next).toBe('id-2');
      const second = await inventory.listIdentities({ limit: 2, after: first.next! });
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'id-3' })] });
      expect((await inventory.listIdentities({ system: 'other' })).items).toEqual([]);
      expect((await inventory.listPrincipals()).items.map((p) => p.id)).toEqual([
        'group:dba',
        'group:platform',
        'group:security',
        'person:alice',
        'person:bob',
        'service:ci-pipeline',
      ]);
      await expect(inventory.listSystems({ limit: 0 })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    });
  });
}
