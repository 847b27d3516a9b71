/**
 * A slow or silent target: every connector call is bounded by the step timeout (here 0.5 s). A
 * call that overruns it pauses the run with a retryable CONNECTOR_UNAVAILABLE reason — never
 * success, never a hang — and the delegated authority expires with the timeout. Once the target
 * answers again a resume settles the step against it and completes with exactly one effect; if
 * the late call did take effect, the credential it issued was never delivered and the run stays
 * paused for a person to roll back (fail closed).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Connector } from '../../src/connectors/contract.js';
import type { Run } from '../../src/runs/index.js';
import { storeKinds } from '../support/stores.js';
import {
  createWorld,
  openWorld,
  REQUESTS,
  seededCredential,
  targetEffects,
  type Flow,
  type OpenWorld,
} from './crash-support.js';

/** Fractional on purpose; wide enough that a healthy call on a busy machine never overruns it. */
const TIMEOUT = 0.5;

interface LedgerEntry {
  readonly type: string;
  readonly time: string;
  readonly payload: Record<string, unknown>;
}

/** Forwards every call to `real`, except those given. */
function over(real: Connector, calls: Partial<Connector>): Connector {
  return {
    describe: () => real.describe(),
    checkStep: (s) => {
      real.checkStep(s);
    },
    plan: (s, a) => real.plan(s, a),
    readPrior: (s, a) => real.readPrior(s, a),
    apply: (s, a) => real.apply(s, a),
    verify: (s, a, x) => real.verify(s, a, x),
    rollback: (s, a, p) => real.rollback(s, a, p),
    list: (s, a) => real.list(s, a),
    endSessions: (s, a) => real.endSessions(s, a),
    ...calls,
  };
}

const never = () => new Promise<never>(() => undefined);

for (const kind of storeKinds()) {
  describe(`a slow target on ${kind.name}`, () => {
    let w: OpenWorld;
    afterEach(async () => {
      await w.close();
    });

    async function start(flow: Flow): Promise<Run> {
      const settings = async (name: string) => {
        const s = await kind.fresh();
        return { ...s, dataDir: path.join(s.dataDir, name) };
      };
      const world = await createWorld(await settings('custos'), await settings('target'));
      w = await openWorld(world, { stepTimeoutSeconds: TIMEOUT });
      return w.engine.file({
        request: REQUESTS[flow],
        requester: 'service:ci-pipeline',
        justification: 'slow target',
        idempotencyKey: flow,
      });
    }

    async function records(runId: string): Promise<LedgerEntry[]> {
      const rows = await w.store.read.query<{ data: Uint8Array }>(
        'SELECT data FROM ledger_records ORDER BY idx',
      );
      return rows
        .map(
          (r) => JSON.parse(Buffer.from(r.data).toString('utf8')) as LedgerEntry & { correlationId: string },
        )
        .filter((r) => r.correlationId === runId);
    }

    it('an apply that never answers pauses the run; once the target is back a resume completes it, applied once', async () => {
      const filed = await start('create');
      w.wrap((real) => over(real, { apply: never }));
      const t0 = performance.now();
      const first = await w.engine.advance(filed.id);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(first.run.state).toBe('paused');
      expect(first.run.reason).toBe(`applying of step s1 on tokens did not finish within ${TIMEOUT} s`);
      expect(first.secrets).toEqual([]);
      const failed = (await records(filed.id)).find((r) => r.type === 'run.failed')!;
      expect(failed.payload).toMatchObject({ retryable: true, step: 's1' });
      expect((await targetEffects(w.target, filed.id)).operations).toEqual([]);

      // The authority expires with the step timeout (JWT times are whole seconds: at most 1 s more).
      const started = (await records(filed.id)).find((r) => r.type === 'run.execution_started')!;
      const { exp } = started.payload['authority'] as { exp: number };
      expect(exp * 1000 - Date.parse(started.time)).toBeLessThanOrEqual((Math.ceil(TIMEOUT) + 1) * 1000);

      w.wrap((real) => real);
      const resumed = await w.engine.resume(filed.id, 'person:pat');
      expect(resumed.run.state).toBe('completed');
      expect(resumed.secrets).toHaveLength(1);
      expect(await w.tokens.verifyPresented(resumed.secrets[0]!.value)).toMatchObject({
        valid: true,
        runId: filed.id,
      });
      const { operations, issued } = await targetEffects(w.target, filed.id);
      expect([operations.length, issued.length]).toEqual([1, 1]);
      const applied = (await records(filed.id)).filter((r) => r.type === 'run.step_applied');
      expect(applied.map((r) => r.payload)).toMatchObject([{ outcome: 'applied', recovered: true }]);
    });

    it('an apply that takes effect after the timeout is found applied, and its lost credential keeps the run paused', async () => {
      const filed = await start('rotate');
      let release!: () => void;
      let late!: Promise<ApplyResult>;
      const gate = new Promise<void>((r) => (release = r));
      w.wrap((real) =>
        over(real, {
          apply: (s, a) => (late = gate.then(() => real.apply(s, a))),
        }),
      );
      const first = await w.engine.advance(filed.id);
      expect(first.run.state).toBe('paused');
      expect(first.run.reason).toMatch(/did not finish within/);
      release();
      await late; // the target applies the rotation after all; its secret goes nowhere
      w.wrap((real) => real);

      const resumed = await w.engine.resume(filed.id, 'person:pat');
      expect(resumed.run.state).toBe('paused');
      expect(resumed.run.reason).toMatch(/credential issued by step s1 was never delivered/);
      expect(resumed.secrets).toEqual([]);
      const applied = (await records(filed.id)).filter((r) => r.type === 'run.step_applied');
      expect(applied.map((r) => r.payload)).toMatchObject([{ outcome: 'already_applied', recovered: true }]);
      const { operations, issued } = await targetEffects(w.target, filed.id);
      expect([operations.length, issued.length]).toEqual([1, 1]);

      // A further resume cannot complete it; rolling back withdraws the credential no one holds.
      expect((await w.engine.resume(filed.id, 'person:pat')).run.state).toBe('paused');
      expect((await w.engine.rollback(filed.id, 'person:pat')).state).toBe('rolled_back');
      const after = await targetEffects(w.target, filed.id);
      expect(after.issued[0]!.revoked_at).not.toBeNull();
      expect(await seededCredential(w.target)).toMatchObject({ revoked_at: null, superseded_by: null });
    });

    it('a run paused with its outcome unknown rolls back to the state read before the effect', async () => {
      const filed = await start('rotate');
      let late!: Promise<ApplyResult>;
      // The target acts after the step's timeout, but while the run's authority still holds: it is
      // minted for ceil(TIMEOUT) + 1 s from a whole second, so for more than 1 s. At twice the timeout
      // (1 s) a busy machine could reach its expiry first, and the connector rightly refused.
      w.wrap((real) =>
        over(real, {
          apply: (s, a) =>
            (late = new Promise((r) => setTimeout(r, TIMEOUT * 1400)).then(() => real.apply(s, a))),
        }),
      );
      expect((await w.engine.advance(filed.id)).run.state).toBe('paused');
      await late;
      w.wrap((real) => real);
      expect((await seededCredential(w.target)).superseded_by).not.toBeNull();

      expect((await w.engine.rollback(filed.id, 'person:pat')).state).toBe('rolled_back');
      const applied = (await records(filed.id)).filter((r) => r.type === 'run.step_applied');
      expect(applied.map((r) => r.payload)).toMatchObject([{ outcome: 'already_applied', recovered: true }]);
      const { operations, issued } = await targetEffects(w.target, filed.id);
      expect(operations).toHaveLength(1);
      expect(operations[0]!.rolled_back_at).not.toBeNull();
      expect(issued[0]!.revoked_at).not.toBeNull();
      expect(await seededCredential(w.target)).toMatchObject({ revoked_at: null, superseded_by: null });
    });

    it('a token issued before a verification overran is handed over with the pause; a resume completes', async () => {
      const filed = await start('create');
      let slow = true;
      w.wrap((real) => over(real, { verify: (s, a, x) => (slow ? never() : real.verify(s, a, x)) }));
      const first = await w.engine.advance(filed.id);
      expect(first.run.reason).toBe(`verifying of step s1 on tokens did not finish within ${TIMEOUT} s`);
      expect(first.secrets).toHaveLength(1);
      slow = false;
      // The credential reached the caller of the earlier attempt: not lost, so the resume completes.
      const resumed = await w.engine.resume(filed.id, 'person:pat');
      expect([resumed.run.state, resumed.secrets.length]).toEqual(['completed', 0]);
      expect(await w.tokens.verifyPresented(first.secrets[0]!.value)).toMatchObject({ valid: true });
      expect((await targetEffects(w.target, filed.id)).issued).toHaveLength(1);
    });

    it('a read of the prior state or a verification that overruns pauses the run; nothing is applied twice', async () => {
      const filed = await start('revoke');
      let slow: 'readPrior' | 'verify' | undefined = 'readPrior';
      w.wrap((real) =>
        over(real, {
          readPrior: (s, a) => (slow === 'readPrior' ? never() : real.readPrior(s, a)),
          verify: (s, a, x) => (slow === 'verify' ? never() : real.verify(s, a, x)),
        }),
      );
      const first = await w.engine.advance(filed.id);
      expect(first.run.reason).toBe(
        `reading the prior state of step s1 on tokens did not finish within ${TIMEOUT} s`,
      );
      // Nothing was journalled for the step: no effect can have been attempted.
      expect((await records(filed.id)).map((r) => r.type)).not.toContain('run.step_started');

      slow = 'verify';
      const second = await w.engine.resume(filed.id, 'person:pat');
      expect(second.run).toMatchObject({
        state: 'paused',
        reason: `verifying of step s1 on tokens did not finish within ${TIMEOUT} s`,
      });
      expect((await seededCredential(w.target)).revoked_at).not.toBeNull();

      slow = undefined;
      expect((await w.engine.resume(filed.id, 'person:pat')).run.state).toBe('completed');
      const types = (await records(filed.id)).map((r) => r.type);
      expect(types.filter((t) => t === 'run.step_applied')).toHaveLength(1);
      expect((await targetEffects(w.target, filed.id)).operations).toHaveLength(1);
    });
  });
}
