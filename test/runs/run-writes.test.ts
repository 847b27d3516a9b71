/**
 * Group commit for runs (src/runs/run-writes.ts), on both stores: the writes of many runs share one
 * transaction and a few statements, yet each run keeps its own transaction's guarantees — its row
 * moves only from the state its writer read, its records commit with its change in its order, and
 * one run's failure (refused, moved on, or throwing in what commits with it) never fails another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CustosError } from '../../src/core/errors.js';
import { SYSTEM_ACTOR } from '../../src/ledger/ledger.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import type { Run } from '../../src/runs/index.js';
import { RunWriter, type RunWrite } from '../../src/runs/run-writes.js';
import { createTestLedger, storeKinds, type TestLedger } from '../support/stores.js';

function newRun(id: string): Run {
  return {
    id,
    requester: 'service:ci-pipeline',
    idempotencyKey: id,
    request: { principal: 'service:ci-pipeline', action: 'suspend', resource: { identity: 'x' } },
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

const filed = (run: Run): RunWrite => ({
  run,
  at: new Date(),
  insert: { request: JSON.stringify(run.request) },
  steps: [{ stepId: 's1', action: 'suspend', systemId: 'tokens', identityId: 'x', params: {} }],
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

const approve = (run: Run, extra: Partial<RunWrite> = {}): RunWrite => ({
  run,
  at: new Date(),
  changes: [
    { transition: 'decided_auto', actor: SYSTEM_ACTOR, payload: {}, update: { executor: 'executor:w' } },
    { transition: 'execution_started', actor: SYSTEM_ACTOR, payload: {} },
  ],
  ...extra,
});

for (const kind of storeKinds()) {
  describe(`run writes on ${kind.name}`, () => {
    let t: TestLedger;
    afterEach(async () => {
      await t.close();
    });

    async function state(id: string): Promise<string | undefined> {
      const rows = await t.store.read.query<{ state: string }>('SELECT state FROM runs WHERE id = ?', [id]);
      return rows[0]?.state;
    }

    async function types(id: string): Promise<string[]> {
      const rows = await t.store.read.query<{ data: Uint8Array }>(
        'SELECT data FROM ledger_records ORDER BY idx',
      );
      return rows
        .map(
          (r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as { type: string; correlationId: string },
        )
        .filter((r) => r.correlationId === id)
        .map((r) => r.type);
    }

    it('merges the writes of many runs: one UPDATE for all, each run with its records in order', async () => {
      t = await createTestLedger(kind);
      const writer = new RunWriter(t.ledger);
      const runs = Array.from({ length: 20 }, (_, i) => newRun(`run_m${i}`));
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      const before = await t.ledger.size();
      // Every statement of the merged body goes through the write connection: count the run updates.
      const query = t.store.write.query.bind(t.store.write);
      const savepoint = t.store.write.savepoint.bind(t.store.write);
      let updates = 0;
      let savepoints = 0;
      t.store.write.query = (sql, params) => {
        if (sql.includes('UPDATE runs SET')) updates++;
        return query(sql, params);
      };
      t.store.write.savepoint = (name) => (savepoints++, savepoint(name));
      const moved = await Promise.all(runs.map((r) => writer.write(approve(r))));
      t.store.write.query = query;
      t.store.write.savepoint = savepoint;
      expect(updates).toBe(1);
      // A body that succeeds pays for no savepoint: only one that fails is undone and retried.
      expect(savepoints).toBe(0);
      expect(moved.map((r) => [r.state, r.executor])).toEqual(runs.map(() => ['executing', 'executor:w']));
      expect(await t.ledger.size()).toBe(before + 40);
      for (const r of runs) {
        expect(await state(r.id)).toBe('executing');
        expect(await types(r.id)).toEqual(['run.requested', 'run.decided_auto', 'run.execution_started']);
      }
      const steps = await t.store.read.query('SELECT run_id FROM run_steps WHERE status = ?', ['planned']);
      expect(steps).toHaveLength(20);
      await verifyLive(t.ledger);
    });

    it('one run refused, moved on, written twice or throwing fails alone; the others commit', async () => {
      t = await createTestLedger(kind);
      const writer = new RunWriter(t.ledger);
      const runs = Array.from({ length: 6 }, (_, i) => newRun(`run_f${i}`));
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      // run_f1 moves on behind the writer's back: its write finds it no longer `requested`.
      await t.store.write.run("UPDATE runs SET state = 'unreconciled' WHERE id = ?", ['run_f1']);
      const results = await Promise.allSettled([
        writer.write(approve(runs[0]!)),
        writer.write(approve(runs[1]!)),
        // The state machine refuses `applied` from requested.
        writer.write({
          run: runs[2]!,
          at: new Date(),
          changes: [{ transition: 'applied', actor: SYSTEM_ACTOR, payload: {} }],
        }),
        writer.write(
          approve(runs[3]!, {
            after: async (tx) => {
              await tx.run("UPDATE runs SET reason = 'half done' WHERE id = ?", ['run_f3']);
              throw new CustosError('INTERNAL_ERROR', 'what commits with it failed');
            },
          }),
        ),
        writer.write(approve(runs[4]!)),
        // Written twice in one batch: the second finds the run moved on.
        writer.write(approve(runs[4]!)),
        writer.write(approve(runs[5]!)),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as CustosError).code : 'ok'));
      expect(codes).toEqual([
        'ok',
        'RUN_TRANSITION_INVALID',
        'RUN_TRANSITION_INVALID',
        'INTERNAL_ERROR',
        'ok',
        'RUN_TRANSITION_INVALID',
        'ok',
      ]);
      expect(await Promise.all(runs.map((r) => state(r.id)))).toEqual([
        'executing',
        'unreconciled',
        'requested',
        'requested',
        'executing',
        'executing',
      ]);
      const reason = await t.store.read.query<{ reason: string | null }>(
        'SELECT reason FROM runs WHERE id = ?',
        ['run_f3'],
      );
      expect(reason[0]!.reason).toBeNull();
      for (const id of ['run_f1', 'run_f2', 'run_f3']) expect(await types(id)).toEqual(['run.requested']);
      expect(await types('run_f4')).toEqual(['run.requested', 'run.decided_auto', 'run.execution_started']);
      await verifyLive(t.ledger);
    });

    it('a step that moved on refuses its run alone', async () => {
      t = await createTestLedger(kind);
      const writer = new RunWriter(t.ledger);
      const runs = [newRun('run_s0'), newRun('run_s1')];
      await Promise.all(runs.map((r) => writer.write(filed(r))));
      await t.store.write.run("UPDATE run_steps SET status = 'applying' WHERE run_id = ?", ['run_s1']);
      const started = (run: Run) =>
        approve(run, {
          changes: [
            ...approve(run).changes,
            {
              move: (r: Run) => ({
                stepId: 's1',
                from: 'planned',
                to: 'applying',
                prior: '{}',
                outputs: null,
                record: {
                  type: 'run.step_started',
                  correlationId: r.id,
                  actor: SYSTEM_ACTOR,
                  subject: { kind: 'identity', id: 'x' },
                  payload: { stepId: 's1' },
                },
              }),
            },
          ],
        });
      const results = await Promise.allSettled(runs.map((r) => writer.write(started(r))));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect(await state('run_s1')).toBe('requested');
      expect(await types('run_s0')).toEqual([
        'run.requested',
        'run.decided_auto',
        'run.execution_started',
        'run.step_started',
      ]);
      expect(await types('run_s1')).toEqual(['run.requested']);
    });
  });
}
