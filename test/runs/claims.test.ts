/**
 * Several processes on one store (two engines on the same store and targets, each its own executor
 * instance): a run a live process is executing is left to it; once that process stops or misses its
 * heartbeat past its lease, a peer takes the run over, exactly once, and the effect is applied once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/connectors/contract.js';
import { isCustosError } from '../../src/core/errors.js';
import { claimRun } from '../../src/runs/run-claims.js';
import type { PlainRequest } from '../../src/workflows/index.js';
import { storeKinds } from '../support/stores.js';
import { generateApproverKey } from '../../src/approvals/index.js';
import { createEngine, sign, type EngineFixture } from './support.js';

const TOKEN = 'payments-api-token';
const REVOKE: PlainRequest = {
  principal: 'service:ci-pipeline',
  action: 'revoke',
  resource: { identity: TOKEN },
};

/** The first apply waits until released (a process busy on a slow target); later ones go through. */
function holdFirstApply(real: Connector) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const reached = new Promise<void>((r) => (started = r));
  let first = true;
  const connector: Connector = Object.assign(Object.create(real) as Connector, {
    apply: async (...args: Parameters<Connector['apply']>) => {
      if (first) {
        first = false;
        started();
        await released;
      }
      return real.apply(...args);
    },
  });
  return { connector, reached, release };
}

/** Seeds the token on the issuer (a credential to revoke), as a run before this test did. */
async function seedToken(f: EngineFixture): Promise<void> {
  const authority = await f.issuer.mint({
    runId: 'seed',
    requestDigest: 'sha256:seed',
    executor: 'executor:seed',
    grants: [{ action: 'create', system: 'tokens', identity: TOKEN }],
    ttlSeconds: 60,
  });
  await f.tokens.apply(
    {
      runId: 'seed',
      stepId: 's1',
      action: 'create',
      system: { id: 'tokens', type: 'tokens', environment: 'prod', connection: {} },
      identity: { id: TOKEN, kind: 'api_key', externalId: 'payments-service' },
      params: { kind: 'api_key' },
    },
    authority,
  );
}

for (const kind of storeKinds()) {
  describe(`executor claims on ${kind.name}`, () => {
    let f: EngineFixture | undefined;
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });

    const operations = async (runId: string) =>
      (
        await f!.target.read.query<{ n: number | string }>(
          'SELECT COUNT(*) AS n FROM token_operations WHERE run_id = ?',
          [runId],
        )
      ).map((r) => Number(r.n))[0];

    it('leaves a run to the live process executing it, and takes it over once that process is gone', async () => {
      let clock = Date.now();
      f = await createEngine(kind, { now: () => new Date(clock), leaseSeconds: 3600 });
      await seedToken(f);
      const hold = holdFirstApply(f.tokens);
      f.wrap(() => hold.connector);
      const a = f.engine;
      const filed = await a.file({
        request: REVOKE,
        requester: 'service:ci-pipeline',
        justification: 'leaked',
        idempotencyKey: 'k',
      });
      const inA = a.advance(filed.id).then(
        (e) => e.run,
        (e: unknown) => e,
      );
      await hold.reached;
      expect(await a.get(filed.id)).toMatchObject({ state: 'executing', claimedBy: a.instance.id });

      const b = f.restart();
      // A is alive: neither B's start nor its host loop takes the run, and B may not continue it.
      expect(await b.recover()).toEqual([]);
      expect(await b.recoverOrphans()).toEqual([]);
      const refused = await b.advance(filed.id).catch((e: unknown) => e);
      expect(isCustosError(refused, 'RUN_TRANSITION_INVALID')).toBe(true);
      expect(String(refused)).toContain(a.instance.id);

      // A misses its heartbeat for longer than its lease (a crash, a frozen machine).
      clock += 2 * 3600 * 1000;
      const [taken] = await b.recoverOrphans();
      expect(taken).toMatchObject({ id: filed.id, state: 'completed', claimedBy: b.instance.id });
      const records = await f.ti.t.ledger.store.read.query<{ data: Uint8Array }>(
        'SELECT data FROM ledger_records ORDER BY idx',
      );
      const recovered = records
        .map(
          (r) =>
            JSON.parse(Buffer.from(r.data).toString('utf8')) as {
              type: string;
              correlationId: string;
              payload: Record<string, unknown>;
            },
        )
        .filter((r) => r.correlationId === filed.id && r.type === 'run.recovered');
      expect(recovered.map((r) => [r.payload['instance'], r.payload['takenFrom']])).toEqual([
        [b.instance.id, a.instance.id],
      ]);

      // A wakes up: its late apply finds the effect applied, its transition finds the run moved on.
      hold.release();
      const late = await inA;
      expect(
        isCustosError(late, 'RUN_TRANSITION_INVALID') || (late as { state?: string }).state === 'completed',
      ).toBe(true);
      expect(await operations(filed.id)).toBe(1);
      expect((await b.get(filed.id)).state).toBe('completed');
    });

    it('a clean stop hands its runs over at once; two survivors never both take one', async () => {
      f = await createEngine(kind, { leaseSeconds: 3600 });
      await seedToken(f);
      const hold = holdFirstApply(f.tokens);
      f.wrap(() => hold.connector);
      const a = f.engine;
      const filed = await a.file({
        request: REVOKE,
        requester: 'service:ci-pipeline',
        justification: 'leaked',
        idempotencyKey: 'k2',
      });
      const inA = a.advance(filed.id).catch((e: unknown) => e);
      await hold.reached;
      await a.stop();
      const b = f.restart();
      const [taken] = await b.recoverOrphans();
      expect(taken).toMatchObject({ id: filed.id, state: 'completed' });
      hold.release();
      await inA;
      expect(await operations(filed.id)).toBe(1);

      // Two survivors racing for the same run: exactly one wins it.
      const c = f.restart();
      const run = { ...(await b.get(filed.id)), state: 'executing' as const, claimedBy: a.instance.id };
      await f.ti.t.ledger.transact((tx) =>
        tx.run("UPDATE runs SET state = 'executing', claimed_by = ? WHERE id = ?", [a.instance.id, filed.id]),
      );
      const won = await Promise.all([
        claimRun(f.ti.t.ledger, run, b.instance.id),
        claimRun(f.ti.t.ledger, run, c.instance.id),
      ]);
      expect(won.filter((w) => w !== undefined)).toHaveLength(1);
    });

    it('a host loop leaves an approved run to its requester, who executes it (and receives its secret)', async () => {
      f = await createEngine(kind, { leaseSeconds: 3600 });
      const create: PlainRequest = {
        principal: 'person:eve',
        action: 'create',
        resource: { new: { name: 'orders-api', kind: 'api_key', system: 'tokens' } },
        context: { durationMinutes: 60, justification: 'orders service' },
      };
      const a = f.engine;
      const filed = await a.file({
        request: create,
        requester: 'person:eve',
        justification: 'orders',
        idempotencyKey: 'k3',
      });
      const awaiting = (await a.advance(filed.id)).run;
      expect(awaiting.state).toBe('awaiting_approval');
      const key = generateApproverKey('person:pat');
      await a.registerApproverKey('person:pat', key.publicKey);
      const approved = await a.approve(filed.id, sign(key, awaiting, 'approve', 'reviewed'));
      expect(approved).toMatchObject({ state: 'approved', claimedBy: null });

      const b = f.restart();
      expect(await b.recoverOrphans()).toEqual([]);
      const { run, secrets } = await a.advance(filed.id);
      expect(run).toMatchObject({ state: 'completed', claimedBy: a.instance.id });
      expect(secrets).toHaveLength(1);
    });
  });
}
