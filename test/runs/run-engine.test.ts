/**
 * The run engine end to end on both stores, with the built-in tokens target: every transition is a
 * ledger record; approvals are signed and separation of duties is enforced; failures pause.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateApproverKey } from '../../src/approvals/index.js';
import { CustosError } from '../../src/core/errors.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import { storeKinds } from '../support/stores.js';
import {
  CI_TOKEN,
  CI_TOKEN_RECORDS,
  ENGINEER_KEY,
  createEngine,
  forward,
  recordsOf,
  sign,
  type EngineFixture,
} from './support.js';

for (const kind of storeKinds()) {
  describe(`run engine on ${kind.name}`, () => {
    let f: EngineFixture;
    afterEach(async () => {
      await f.close();
    });

    it('a low-risk token request runs automatically, every step in the ledger, and the token verifies', async () => {
      f = await createEngine(kind);
      const filed = await f.engine.file({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'deploy payments 2025.11.3',
        idempotencyKey: 'deploy-42',
      });
      const { run, secrets } = await f.engine.advance(filed.id);
      expect(run.state).toBe('completed');
      expect(run.executor).toBe('executor:service-tokens');
      expect(secrets).toHaveLength(1);
      const presented = await f.tokens.verifyPresented(secrets[0]!.value);
      expect(presented).toMatchObject({ valid: true, runId: run.id, identity: 'payments-deploy' });

      const records = await recordsOf(f, run.id);
      expect(records.map((r) => r['type'])).toEqual(CI_TOKEN_RECORDS);
      expect(records[0]).toMatchObject({ actor: { kind: 'non_human', id: 'service:ci-pipeline' } });
      expect(records[1]).toMatchObject({
        payload: { riskTier: 'low', determiningPolicies: ['tokens-ci-create'] },
      });
      expect(records[2]).toMatchObject({ actor: { id: 'executor:service-tokens' } });
      const all = JSON.stringify(records);
      expect(all).not.toContain(secrets[0]!.value);
      await verifyLive(f.ti.t.ledger);
      // The same idempotency key returns the same run; reusing it for another request is refused.
      expect(
        (
          await f.engine.file({
            request: CI_TOKEN,
            requester: 'service:ci-pipeline',
            justification: 'x',
            idempotencyKey: 'deploy-42',
          })
        ).id,
      ).toBe(run.id);
      await expect(
        f.engine.file({
          request: { ...CI_TOKEN, context: { durationMinutes: 30 } },
          requester: 'service:ci-pipeline',
          justification: 'x',
          idempotencyKey: 'deploy-42',
        }),
      ).rejects.toMatchObject({ code: 'RUN_DUPLICATE' });
    });

    it('a medium-risk request waits for a signed approval from the right group; separation of duties holds', async () => {
      f = await createEngine(kind);
      const filed = await f.engine.file({
        request: ENGINEER_KEY,
        requester: 'person:eve',
        justification: 'metrics',
        idempotencyKey: 'k1',
      });
      let { run } = await f.engine.advance(filed.id);
      expect(run.state).toBe('awaiting_approval');
      const eve = generateApproverKey('person:eve');
      const pat = generateApproverKey('person:pat');
      const dan = generateApproverKey('person:dan');
      for (const k of [eve, pat, dan]) await f.engine.registerApproverKey(k.principal, k.publicKey);

      await expect(f.engine.approve(run.id, sign(eve, run, 'approve'))).rejects.toMatchObject({
        code: 'SOD_VIOLATION',
      });
      await expect(f.engine.approve(run.id, sign(dan, run, 'approve'))).rejects.toMatchObject({
        code: 'APPROVAL_NOT_ELIGIBLE',
      });
      const forged = { ...sign(dan, run, 'approve'), principal: 'person:pat' };
      await expect(f.engine.approve(run.id, forged)).rejects.toBeInstanceOf(CustosError);
      const otherRun = { ...run, id: 'run_other' };
      await expect(f.engine.approve(run.id, sign(pat, otherRun, 'approve'))).rejects.toMatchObject({
        code: 'SIGNATURE_INVALID',
      });
      expect((await f.engine.get(run.id)).state).toBe('awaiting_approval');

      run = await f.engine.approve(run.id, sign(pat, run, 'approve'));
      expect(run.state).toBe('approved');
      const done = await f.engine.advance(run.id);
      expect(done.run.state).toBe('completed');
      // A denial after execution started is refused, not applied.
      await expect(f.engine.approve(run.id, sign(pat, run, 'deny', 'too late'))).rejects.toMatchObject({
        code: 'RUN_NOT_APPROVABLE',
      });
      const counted = (await recordsOf(f, run.id)).find((r) => r['type'] === 'run.approval_counted')!;
      expect(counted).toMatchObject({
        actor: { kind: 'human', id: 'person:pat' },
        payload: { approval: { principal: 'person:pat' } },
      });
      expect(JSON.stringify(counted)).toMatch(/"signature":"[A-Za-z0-9+/]{80,}={0,2}"/);
    });

    it('a denied request is recorded as denied and nothing runs', async () => {
      f = await createEngine(kind);
      const filed = await f.engine.file({
        request: {
          ...CI_TOKEN,
          resource: {
            new: { name: 'ledger-deploy', kind: 'token', system: 'tokens', tags: ['service:ledger'] },
          },
        },
        requester: 'service:ci-pipeline',
        justification: 'not mine',
        idempotencyKey: 'k2',
      });
      const { run, secrets } = await f.engine.advance(filed.id);
      expect([run.state, secrets.length]).toEqual(['denied', 0]);
    });

    it('a failing target pauses the run with an alert; a resume applies nothing twice and will not pass off a lost token as done', async () => {
      f = await createEngine(kind);
      let failures = 0;
      f.wrap((real) => ({
        ...forward(real),
        apply: async (step, authority) => {
          // The effect happens, then the process "crashes" before recording it, once.
          const result = await real.apply(step, authority);
          if (failures++ === 0)
            throw new CustosError('CONNECTOR_UNAVAILABLE', 'lost the target mid-step', { retryable: true });
          return result;
        },
      }));
      const filed = await f.engine.file({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'deploy',
        idempotencyKey: 'k3',
      });
      const first = await f.engine.advance(filed.id);
      expect(first.run.state).toBe('paused');
      expect(first.run.reason).toContain('lost the target');
      const types = (await recordsOf(f, filed.id)).map((r) => r['type']);
      expect(types).toContain('alert.raised');
      expect(types).toContain('run.failed');
      await expect(f.engine.resume(filed.id, 'person:mallory')).rejects.toMatchObject({
        code: 'PRINCIPAL_UNKNOWN',
      });
      const resumed = await f.engine.resume(filed.id, 'person:pat');
      // The token was issued by the lost attempt and never reached anyone: not a silent success.
      expect(resumed.run.state).toBe('paused');
      expect(resumed.run.reason).toMatch(/never delivered/);
      expect(resumed.secrets).toEqual([]);
      const applied = (await recordsOf(f, filed.id)).filter((r) => r['type'] === 'run.step_applied');
      expect(applied).toHaveLength(1);
      expect(applied[0]).toMatchObject({ payload: { outcome: 'already_applied', recovered: true } });
    });

    it('a verification that disagrees pauses the run; rolling back restores and verifies the prior state', async () => {
      f = await createEngine(kind);
      let lie = true;
      f.wrap((real) => ({
        ...forward(real),
        verify: async (step, authority, secret) => {
          const result = await real.verify(step, authority, secret);
          if (!lie) return result;
          lie = false;
          return {
            ok: false,
            checks: [{ name: 'read-back', ok: false, detail: 'target shows another state' }],
          };
        },
      }));
      const filed = await f.engine.file({
        request: CI_TOKEN,
        requester: 'service:ci-pipeline',
        justification: 'deploy',
        idempotencyKey: 'k4',
      });
      const { run, secrets } = await f.engine.advance(filed.id);
      expect(run.state).toBe('paused');
      expect((await f.tokens.verifyPresented(secrets[0]!.value)).valid).toBe(true);
      await expect(f.engine.advance(run.id)).resolves.toMatchObject({ run: { state: 'paused' } });
      const rolled = await f.engine.rollback(run.id, 'person:pat');
      expect(rolled.state).toBe('rolled_back');
      expect((await f.tokens.verifyPresented(secrets[0]!.value)).valid).toBe(false);
      const types = (await recordsOf(f, run.id)).map((r) => r['type']);
      expect(types.slice(-2)).toEqual(['run.rollback', 'run.rolled_back']);
      await expect(f.engine.abort(run.id, 'person:pat', 'done')).rejects.toMatchObject({
        code: 'RUN_TRANSITION_INVALID',
      });
    });
  });
}
