/**
 * Identity edits in the caller's transaction (applyIdentitiesInTx), on both stores: many edits are
 * read once and written with multi-row statements, yet each is planned as if applied alone after
 * the ones before it, each record names its own actor and correlation id, and an edit the
 * inventory refuses writes nothing while the others are written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Identity, IdentityEdit, IdentityInput } from '../../src/inventory/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import {
  FINGERPRINT,
  PG_PROD,
  createTestInventory,
  records,
  seedPrincipals,
  type TestInventory,
} from './support.js';

const OWNERS = { business: 'person:bob', policy: 'group:security', platform: 'group:platform' };

function created(id: string, extra: Partial<IdentityInput> = {}): IdentityInput {
  return {
    id,
    kind: 'service_account',
    system: 'pg-prod',
    externalId: id,
    state: 'active',
    owners: OWNERS,
    credentials: [{ fingerprint: FINGERPRINT, issuedAt: '2026-11-21T10:00:00Z' }],
    riskTier: 'medium',
    ...extra,
  };
}

function edit(
  id: string,
  by: string,
  change: IdentityEdit['change'],
  correlationId = `run_${by}`,
): IdentityEdit {
  return { id, actor: { kind: 'non_human', id: `executor:${by}` }, correlationId, change };
}

const create = (input: IdentityInput) => () => ({ input, mode: 'create' as const });
const grant = (id: string, entitlement: string) => (current: Identity | undefined) => ({
  input: { id, entitlements: [...(current?.entitlements ?? []), entitlement] },
  mode: 'upsert' as const,
});

for (const kind of storeKinds()) {
  describe(`identity edits in a transaction on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    async function setUp(): Promise<void> {
      ti = await createTestInventory(kind);
      await seedPrincipals(ti.inventory);
      await ti.inventory.createSystem(PG_PROD, { actor: 'person:alice' });
    }

    /** Runs the edits in one ledger transaction, counting the statements on inventory tables. */
    async function apply(edits: readonly IdentityEdit[]) {
      const { store } = ti.t;
      const query = store.write.query.bind(store.write);
      const run = store.write.run.bind(store.write);
      const statements: string[] = [];
      const note = (sql: string) => {
        if (sql.includes('inventory_')) statements.push(sql.replace(/\s+/g, ' ').slice(0, 40));
      };
      store.write.query = (sql, params) => (note(sql), query(sql, params));
      store.write.run = (sql, params) => (note(sql), run(sql, params));
      try {
        const { value } = await ti.t.ledger.transact((tx) => ti.inventory.applyIdentitiesInTx(tx, edits));
        return { outcomes: value, statements };
      } finally {
        store.write.query = query;
        store.write.run = run;
      }
    }

    it('writes many edits with a few statements, each record with its own actor and correlation id', async () => {
      await setUp();
      await ti.inventory.createIdentity(created('old-1'), { actor: 'person:alice' });
      await ti.inventory.createIdentity(created('old-2'), { actor: 'person:alice' });
      const ids = Array.from({ length: 10 }, (_, i) => `new-${i}`);
      const { outcomes, statements } = await apply([
        ...ids.map((id, i) => edit(id, `w${i}`, create(created(id)))),
        edit('old-1', 'g1', grant('old-1', 'read')),
        edit('old-2', 'g2', grant('old-2', 'write')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([...ids.map(() => 'created'), 'updated', 'updated']);
      // One read of the identities, one of what they reference (owners, system, external ids); one INSERT, one UPDATE.
      expect(statements).toHaveLength(4);
      expect(statements.filter((s) => s.startsWith('INSERT INTO inventory_identities'))).toHaveLength(1);
      for (const id of ids) expect((await ti.inventory.getIdentity(id))?.state).toBe('active');
      expect((await ti.inventory.getIdentity('old-1'))?.entitlements).toEqual(['read']);
      expect((await ti.inventory.getIdentity('old-2'))?.entitlements).toEqual(['write']);
      const written = (await records(ti.t)).filter((r) => r.correlationId.startsWith('run_'));
      expect(written.map((r) => [r.type, r.correlationId, r.actor.id, r.subject?.id])).toEqual([
        ...ids.map((id, i) => ['inventory.identity_created', `run_w${i}`, `executor:w${i}`, id]),
        ['inventory.identity_updated', 'run_g1', 'executor:g1', 'old-1'],
        ['inventory.identity_updated', 'run_g2', 'executor:g2', 'old-2'],
      ]);
      await verifyLive(ti.t.ledger);
    });

    it('more edits than one statement takes are read and written in chunks', async () => {
      await setUp();
      const ids = Array.from({ length: 70 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
      const { outcomes, statements } = await apply([
        ...ids.map((id) => edit(id, id, create(created(id)))),
        edit('dup', 'dup', create(created('dup', { externalId: 'bulk-00' }))),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([...ids.map(() => 'created'), 'refused']);
      expect(statements.filter((s) => s.startsWith('INSERT INTO inventory_identities'))).toHaveLength(2);
      const listed = await ti.inventory.listIdentities({ limit: 1000 });
      expect(listed.items.map((i) => i.id)).toEqual(ids);
    });

    it('a refused edit writes nothing and is reported; the others are written', async () => {
      await setUp();
      await ti.inventory.createIdentity(created('retired', { state: 'retired', credentials: [] }), {
        actor: 'person:alice',
      });
      const { outcomes } = await apply([
        edit('a', 'a', create(created('a'))),
        edit('retired', 'r', () => ({ input: { id: 'retired', state: 'active' }, mode: 'upsert' })),
        edit('b', 'b', create(created('b', { owners: { ...OWNERS, business: 'person:nobody' } }))),
        edit('c', 'c', create(created('c'))),
        edit('nothing', 'n', () => undefined),
      ]);
      expect(outcomes.map((o) => [o.status, o.problems[0]?.code])).toEqual([
        ['created', undefined],
        ['refused', 'STATE_TRANSITION_INVALID'],
        ['refused', 'PRINCIPAL_UNKNOWN'],
        ['created', undefined],
        ['unchanged', undefined],
      ]);
      expect(outcomes[1]!.current?.state).toBe('retired');
      expect((await ti.inventory.getIdentity('retired'))?.state).toBe('retired');
      expect(await ti.inventory.getIdentity('b')).toBeUndefined();
      expect((await ti.inventory.getIdentity('c'))?.state).toBe('active');
      const written = (await records(ti.t)).filter((r) => r.correlationId.startsWith('run_'));
      expect(written.map((r) => r.correlationId)).toEqual(['run_a', 'run_c']);
    });

    it('plans each edit after the ones before it: the same identity twice, and one external id twice', async () => {
      await setUp();
      const { outcomes, statements } = await apply([
        edit('x', 'create', create(created('x'))),
        edit('x', 'grant1', grant('x', 'read')),
        edit('y', 'takes', create(created('y', { externalId: 'x' }))),
        edit('x', 'grant2', grant('x', 'write')),
      ]);
      expect(outcomes.map((o) => [o.status, o.problems[0]?.code])).toEqual([
        ['created', undefined],
        ['updated', undefined],
        ['refused', 'DUPLICATE_ID'],
        ['updated', undefined],
      ]);
      // The second edit found the identity the first created, the last the one the second left.
      expect(outcomes[1]!.current?.entitlements).toEqual([]);
      expect(outcomes[3]!.current?.entitlements).toEqual(['read']);
      expect((await ti.inventory.getIdentity('x'))?.entitlements).toEqual(['read', 'write']);
      // The identity is inserted once, in the state the last edit leaves it.
      expect(statements.filter((s) => s.includes('INTO inventory_identities'))).toHaveLength(1);
      expect(statements.filter((s) => s.includes('UPDATE inventory_identities'))).toHaveLength(0);
      const written = (await records(ti.t)).filter(
        (r) => r.subject?.id === 'x' && r.correlationId.startsWith('run_'),
      );
      expect(written.map((r) => [r.type, r.correlationId, r.payload])).toEqual([
        ['inventory.identity_created', 'run_create', expect.objectContaining({})],
        [
          'inventory.identity_updated',
          'run_grant1',
          { changes: { entitlements: { from: [], to: ['read'] } } },
        ],
        [
          'inventory.identity_updated',
          'run_grant2',
          { changes: { entitlements: { from: ['read'], to: ['read', 'write'] } } },
        ],
      ]);
      await verifyLive(ti.t.ledger);
    });

    it('an external id moved by one edit is free for the next, written in plan order', async () => {
      await setUp();
      // Stored in the order that a single multi-row UPDATE could meet them in.
      await ti.inventory.createIdentity(created('follower', { externalId: 'ext-0' }), {
        actor: 'person:alice',
      });
      await ti.inventory.createIdentity(created('mover', { externalId: 'ext-1' }), { actor: 'person:alice' });
      const { outcomes } = await apply([
        edit('mover', 'm', () => ({ input: { id: 'mover', externalId: 'ext-2' }, mode: 'upsert' })),
        edit('follower', 'f', () => ({ input: { id: 'follower', externalId: 'ext-1' }, mode: 'upsert' })),
        edit('newcomer', 'n', create(created('newcomer', { externalId: 'ext-0' }))),
        edit('late', 'l', create(created('late', { externalId: 'ext-2' }))),
      ]);
      expect(outcomes.map((o) => [o.status, o.problems[0]?.code])).toEqual([
        ['updated', undefined],
        ['updated', undefined],
        ['created', undefined],
        ['refused', 'DUPLICATE_ID'],
      ]);
      const external = async (id: string) => (await ti.inventory.getIdentity(id))?.externalId;
      expect([await external('mover'), await external('follower'), await external('newcomer')]).toEqual([
        'ext-2',
        'ext-1',
        'ext-0',
      ]);
    });
  });
}
