/**
 * The inventory write-back of runs group-committed together (run-writes.ts + inventory-effects.ts),
 * on both stores: the changes of every run one body records are read, planned and written once,
 * yet each is recorded after its own run's records with that run as correlation id and its
 * executor as actor; a change the inventory refuses alerts its run alone; and a body that throws
 * is still undone and each run's write (with its write-back) retried alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CustosError } from '../../src/core/errors.js';
import { SYSTEM_ACTOR } from '../../src/ledger/ledger.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import type { Run } from '../../src/runs/index.js';
import { recordInventoryEffects, type DoneStep } from '../../src/runs/inventory-effects.js';
import { RunWriter, type RunWrite } from '../../src/runs/run-writes.js';
import { storeKinds } from '../support/stores.js';
import {
  FINGERPRINT,
  PG_PROD,
  createTestInventory,
  records,
  seedPrincipals,
  type TestInventory,
} from '../inventory/support.js';

const WORKFLOW = {
  owners: {
    business: 'person:bob',
    policy: 'group:security',
    platform: 'group:platform',
    control: 'person:alice',
  },
};

function newRun(id: string): Run {
  return {
    id,
    requester: 'service:ci-pipeline',
    idempotencyKey: id,
    request: { principal: 'service:ci-pipeline', action: 'create', resource: { identity: id } },
    inputHash: 'sha256:00',
    justification: 'test',
    state: 'requested',
    reason: null,
    workflow: null,
    bundleHash: null,
    decision: null,
    digest: null,
    executor: null,
    attempts: 0,
    origin: null,
    claimedBy: null,
  };
}

function step(action: string, identityId: string, params: DoneStep['params'] = {}): DoneStep {
  return {
    stepId: 's1',
    action,
    systemId: 'pg-prod',
    identityId,
    params,
    outputs: { fingerprint: FINGERPRINT },
  };
}

const created = (identityId: string) => step('create', identityId, { kind: 'service_account' });

for (const kind of storeKinds()) {
  describe(`inventory write-back of group-committed runs on ${kind.name}`, () => {
    let ti: TestInventory;
    afterEach(async () => {
      await ti.close();
    });

    async function setUp(): Promise<RunWriter> {
      ti = await createTestInventory(kind);
      await seedPrincipals(ti.inventory);
      await ti.inventory.createSystem(PG_PROD, { actor: 'person:alice' });
      await ti.inventory.createIdentity(
        {
          id: 'retired',
          kind: 'service_account',
          system: 'pg-prod',
          externalId: 'retired',
          state: 'retired',
          riskTier: 'low',
        },
        { actor: 'person:alice' },
      );
      return new RunWriter(ti.t.ledger);
    }

    const filed = (run: Run): RunWrite => ({
      run,
      at: new Date(),
      insert: { request: JSON.stringify(run.request) },
      changes: [
        {
          record: {
            type: 'run.requested',
            correlationId: run.id,
            actor: SYSTEM_ACTOR,
            subject: { kind: 'run', id: run.id },
            payload: {},
          },
        },
      ],
    });

    /** Moves a run on with a write whose `after` writes its verified steps back, as `conclude` does. */
    const concluded = (run: Run, steps: readonly DoneStep[], fail = false): RunWrite => ({
      run,
      at: new Date(),
      changes: [
        {
          transition: 'decided_auto',
          actor: SYSTEM_ACTOR,
          payload: {},
          update: { executor: `executor:${run.id}` },
        },
        { transition: 'execution_started', actor: SYSTEM_ACTOR, payload: {} },
      ],
      after: async (tx, next) => {
        await recordInventoryEffects(tx, next, steps, WORKFLOW, {
          inventory: ti.inventory,
          now: () => new Date(),
        });
        if (fail) throw new CustosError('INTERNAL_ERROR', 'what commits with it failed');
      },
    });

    async function byRun(id: string) {
      return (await records(ti.t)).filter((r) => r.correlationId === id);
    }

    /** Counts the statements that write `inventory_identities` while `fn` runs. */
    async function countingWrites<T>(fn: () => Promise<T>): Promise<{ value: T; writes: number }> {
      const conn = ti.t.store.write;
      const [query, run] = [conn.query.bind(conn), conn.run.bind(conn)];
      let writes = 0;
      const note = (sql: string) => {
        if (/^\s*(INSERT INTO|WITH v\(.*UPDATE) inventory_identities/s.test(sql)) writes++;
      };
      conn.query = (sql, params) => (note(sql), query(sql, params));
      conn.run = (sql, params) => (note(sql), run(sql, params));
      try {
        return { value: await fn(), writes };
      } finally {
        conn.query = query;
        conn.run = run;
      }
    }

    it('writes back every run of one body with one INSERT, each after its own records; a refusal alerts its run alone', async () => {
      const writer = await setUp();
      const runs = Array.from({ length: 6 }, (_, i) => newRun(`run_b${i}`));
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      const { value: results, writes } = await countingWrites(() =>
        Promise.allSettled(
          runs.map((r, i) =>
            // run_b3 enables a retired identity: verified on the target, refused by the inventory.
            writer.write(concluded(r, [i === 3 ? step('enable', 'retired') : created(`svc-${i}`)])),
          ),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(runs.map(() => 'fulfilled'));
      expect(writes).toBe(1);
      for (const [i, run] of runs.entries()) {
        const own = await byRun(run.id);
        const types = own.map((r) => r.type);
        expect(types.slice(0, 3)).toEqual(['run.requested', 'run.decided_auto', 'run.execution_started']);
        if (i === 3) {
          expect(types.slice(3)).toEqual(['alert.raised']);
          expect(own[3]!.payload).toMatchObject({
            kind: 'inventory.out_of_sync',
            details: { run: run.id, code: 'STATE_TRANSITION_INVALID', field: 'state' },
          });
          continue;
        }
        expect(types.slice(3)).toEqual(['inventory.identity_created']);
        expect(own[3]).toMatchObject({
          actor: { kind: 'non_human', id: `executor:${run.id}` },
          subject: { kind: 'identity', id: `svc-${i}` },
        });
        expect(await ti.inventory.getIdentity(`svc-${i}`)).toMatchObject({
          state: 'active',
          riskTier: 'medium',
        });
      }
      expect((await ti.inventory.getIdentity('retired'))?.state).toBe('retired');
      await verifyLive(ti.t.ledger);
    });

    it('two runs of one body changing the same identity: the second builds on the first', async () => {
      const writer = await setUp();
      const runs = [newRun('run_g0'), newRun('run_g1'), newRun('run_g2')];
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      await Promise.all([
        writer.write(concluded(runs[0]!, [created('shared')])),
        writer.write(concluded(runs[1]!, [step('grant', 'shared', { entitlements: ['read'] })])),
        writer.write(concluded(runs[2]!, [step('grant', 'shared', { entitlements: ['write'] })])),
      ]);
      expect((await ti.inventory.getIdentity('shared'))?.entitlements).toEqual(['read', 'write']);
      expect((await byRun('run_g1')).at(-1)).toMatchObject({
        type: 'inventory.identity_updated',
        payload: { changes: { entitlements: { from: [], to: ['read'] } } },
      });
      expect((await byRun('run_g2')).at(-1)).toMatchObject({
        type: 'inventory.identity_updated',
        payload: { changes: { entitlements: { from: ['read'], to: ['read', 'write'] } } },
      });
    });

    it('a run whose write throws is undone with its write-back; the others are written once, alone', async () => {
      const writer = await setUp();
      const runs = Array.from({ length: 4 }, (_, i) => newRun(`run_f${i}`));
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      const results = await Promise.allSettled(
        runs.map((r, i) => writer.write(concluded(r, [created(`svc-f${i}`)], i === 1))),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(await ti.inventory.getIdentity('svc-f1')).toBeUndefined();
      expect((await byRun('run_f1')).map((r) => r.type)).toEqual(['run.requested']);
      for (const i of [0, 2, 3]) {
        expect(await ti.inventory.getIdentity(`svc-f${i}`)).toBeDefined();
        expect((await byRun(`run_f${i}`)).map((r) => r.type)).toEqual([
          'run.requested',
          'run.decided_auto',
          'run.execution_started',
          'inventory.identity_created',
        ]);
      }
      await verifyLive(ti.t.ledger);
    });
  });
}
