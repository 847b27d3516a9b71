/**
 * engine.submit: a request filed and moved as far as it can go in one call (what the API does). An
 * automatic decision commits with the filing and the start of execution, so no moment exists in
 * which the run is filed but undecided; anything else behaves as `file` then `advance`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CustosError } from '../../src/core/errors.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import {
  CI_TOKEN,
  CI_TOKEN_RECORDS,
  ENGINEER_KEY,
  createEngine,
  recordsOf,
  type EngineFixture,
} from './support.js';

/** Counts the ledger transactions (group-commit units) the engine asks for. */
function countTransactions(f: EngineFixture): { readonly count: () => number } {
  const ledger = f.ti.t.ledger;
  const transact = ledger.transact.bind(ledger);
  let n = 0;
  ledger.transact = (fn) => {
    n++;
    return transact(fn);
  };
  return { count: () => n };
}

for (const kind of storeKinds()) {
  describe(`engine.submit on ${kind.name}`, () => {
    let f: EngineFixture;
    afterEach(async () => {
      await f.close();
    });

    it('files, decides and executes an automatic request, the filing committed with the start of execution', async () => {
      f = await createEngine(kind);
      await f.engine.instance.claim(); // this process registers as an executor once, on its own
      const tx = countTransactions(f);
      const { run, secrets } = await f.engine.submit({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'deploy payments 2025.11.3',
        idempotencyKey: 'deploy-42',
      });
      expect(run.state).toBe('completed');
      expect(secrets).toHaveLength(1);
      expect(await f.tokens.verifyPresented(secrets[0]!.value)).toMatchObject({ valid: true, runId: run.id });
      const records = await recordsOf(f, run.id);
      expect(records.map((r) => r['type'])).toEqual(CI_TOKEN_RECORDS);
      expect(records[0]).toMatchObject({ actor: { kind: 'non_human', id: 'service:ci-pipeline' } });
      // Filed + decided + started + step_started, then step_applied + applied + verified (with the
      // identity written back): one transaction fewer than file() then advance().
      expect(tx.count()).toBe(2);
      const stored = await f.engine.get(run.id);
      expect(stored).toMatchObject({ state: 'completed', requester: 'service:ci-pipeline' });
      await verifyLive(f.ti.t.ledger);

      // The same key again: the same run, not executed twice, no secret handed out again.
      const again = await f.engine.submit({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'retry',
        idempotencyKey: 'deploy-42',
      });
      expect(again).toEqual({ run: stored, secrets: [] });
      expect(await recordsOf(f, run.id)).toHaveLength(8);
      await expect(
        f.engine.submit({
          request: { ...CI_TOKEN, context: { durationMinutes: 30 } },
          requester: 'service:ci-pipeline',
          justification: 'x',
          idempotencyKey: 'deploy-42',
        }),
      ).rejects.toMatchObject({ code: 'RUN_DUPLICATE' });
    });

    it('a request that needs approval is filed and decided, and waits', async () => {
      f = await createEngine(kind);
      const { run, secrets } = await f.engine.submit({
        request: ENGINEER_KEY,
        requester: 'person:eve',
        justification: 'metrics exporter for the payments team',
        idempotencyKey: 'eve-1',
      });
      expect(run.state).toBe('awaiting_approval');
      expect(secrets).toEqual([]);
      expect((await recordsOf(f, run.id)).map((r) => r['type'])).toEqual([
        'run.requested',
        'run.decided_approvals',
      ]);
      expect(await f.engine.get(run.id)).toMatchObject({ state: 'awaiting_approval' });
    });

    it('a request that cannot be decided is filed, left requested, and the error thrown', async () => {
      f = await createEngine(kind);
      const error = await f.engine
        .submit({
          request: { ...CI_TOKEN, action: 'rotate', resource: { identity: 'no-such-identity' } },
          requester: 'service:ci-pipeline',
          justification: 'rotate',
          idempotencyKey: 'rotate-1',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CustosError);
      expect(error).toMatchObject({ code: 'NOT_FOUND' });
      const [filed] = await f.engine.list('requested');
      expect(filed).toMatchObject({ requester: 'service:ci-pipeline', idempotencyKey: 'rotate-1' });
      expect((await recordsOf(f, filed!.id)).map((r) => r['type'])).toEqual(['run.requested']);
    });

    it('refuses malformed input before writing anything', async () => {
      f = await createEngine(kind);
      const size = await f.ti.t.ledger.size();
      await expect(
        f.engine.submit({
          request: CI_TOKEN,
          requester: 'service:ci-pipeline',
          justification: '  ',
          idempotencyKey: 'k',
        }),
      ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
      expect(await f.ti.t.ledger.size()).toBe(size);
      expect(await f.engine.list()).toEqual([]);
    });

    it("refuses a step its target's connector could never carry out, before writing anything", async () => {
      f = await createEngine(kind);
      const size = await f.ti.t.ledger.size();
      const bad = [
        // The issuer grants nothing: entitlements would be recorded on a key that does not carry them.
        { context: { ...CI_TOKEN.context, entitlements: ['admin'] }, refusal: 'INPUT_INVALID' },
        // A negative lifetime.
        { context: { ...CI_TOKEN.context, durationMinutes: -5 }, refusal: 'INPUT_INVALID' },
      ];
      for (const [i, { context, refusal }] of bad.entries()) {
        const input = {
          request: { ...CI_TOKEN, context },
          requester: 'service:ci-pipeline',
          justification: 'deploy payments',
          idempotencyKey: `bad-${i}`,
        };
        for (const call of [() => f.engine.submit(input), () => f.engine.file(input)]) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toMatchObject({
            code: 'INPUT_INVALID',
            details: { system: 'tokens', identity: 'payments-deploy', action: 'create', refusal },
          });
        }
      }
      expect(await f.ti.t.ledger.size()).toBe(size);
      expect(await f.engine.list()).toEqual([]);
      // The same request, well formed, goes through.
      const { run } = await f.engine.submit({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'deploy payments',
        idempotencyKey: 'good',
      });
      expect(run.state).toBe('completed');
    });
  });
}
