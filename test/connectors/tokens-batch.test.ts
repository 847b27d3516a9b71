/**
 * The token issuer handles calls that arrive together as one batch (token-batch.ts), on both
 * stores: each step still gets its own effect, secret and error; a refused step or a step whose
 * write the database refuses fails alone; steps on one identity take effect one after another.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/connectors/authority-check.js';
import type { Step, StepAction } from '../../src/connectors/contract.js';
import type { JsonValue } from '../../src/core/canonical-json.js';
import { storeKinds } from '../support/stores.js';
import { makeTokensTarget, type TokensTarget } from './tokens-target.js';

for (const kind of storeKinds()) {
  describe(`tokens connector, calls that arrive together, on ${kind.name}`, () => {
    let t: TokensTarget;
    let begins: number;
    beforeEach(async () => {
      t = await makeTokensTarget(kind);
      begins = 0;
      const begin = t.store.write.begin.bind(t.store.write);
      t.store.write.begin = () => {
        begins++;
        return begin();
      };
    });
    afterEach(() => t.cleanup());

    const stepOf = (
      runId: string,
      identity: string,
      action: StepAction,
      params: Record<string, JsonValue> = {},
    ): Step => ({
      runId,
      stepId: 's1',
      action,
      system: t.system,
      identity: { id: identity, kind: 'api_key', externalId: identity },
      params,
    });
    const apply = (step: Step) => t.connector.apply(step, t.authority(scopeOf(step)));

    it('applies and verifies many steps in a few transactions, each with its own secret', async () => {
      const steps = Array.from({ length: 24 }, (_, i) => stepOf(`run-${i}`, `svc-${i}`, 'create'));
      const applied = await Promise.all(steps.map(apply));
      // PostgreSQL writes a batch of creates as one statement: only a step that comes alone opens a
      // transaction. SQLite keeps each batch in a transaction of its own.
      expect(begins).toBeLessThanOrEqual(kind.name === 'sqlite' ? 3 : 1);
      expect(new Set(applied.map((a) => a.secret!.value)).size).toBe(24);
      expect(applied.every((a) => a.outcome === 'applied')).toBe(true);
      begins = 0;
      const verified = await Promise.all(
        steps.map((s, i) => t.connector.verify(s, t.authority(scopeOf(s)), applied[i]!.secret!.value)),
      );
      // Verifying only reads: on PostgreSQL with no transaction at all (TokenStore.reading).
      expect(begins).toBeLessThanOrEqual(kind.name === 'sqlite' ? 3 : 0);
      expect(verified.map((v) => v.ok)).toEqual(steps.map(() => true));
      expect(verified[0]!.checks.find((c) => c.name === 'new secret verifies')).toMatchObject({ ok: true });
      // The secret of one step is not another's.
      const crossed = await t.connector.verify(
        steps[0]!,
        t.authority(scopeOf(steps[0]!)),
        applied[1]!.secret!.value,
      );
      expect(crossed.checks.find((c) => c.name === 'new secret verifies')).toMatchObject({
        ok: false,
        detail: 'not the issued secret',
      });
      for (const a of applied) expect((await t.connector.verifyPresented(a.secret!.value)).valid).toBe(true);
    });

    it('a refused step and a step whose write the database refuses fail alone', async () => {
      await apply(stepOf('run-0', 'svc-taken', 'create'));
      const refuse =
        kind.name === 'sqlite'
          ? [
              `CREATE TRIGGER refuse_bad BEFORE INSERT ON token_operations WHEN NEW.run_id = 'run-bad'
               BEGIN SELECT RAISE(ABORT, 'refused'); END`,
            ]
          : [
              `CREATE FUNCTION refuse_bad() RETURNS trigger AS $$ BEGIN
                 IF NEW.run_id = 'run-bad' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
              'CREATE TRIGGER refuse_bad BEFORE INSERT ON token_operations FOR EACH ROW EXECUTE FUNCTION refuse_bad()',
            ];
      for (const sql of refuse) await t.store.write.run(sql);
      begins = 0;
      const results = await Promise.allSettled([
        apply(stepOf('run-1', 'svc-a', 'create')),
        apply(stepOf('run-2', 'svc-taken', 'create')),
        apply(stepOf('run-bad', 'svc-b', 'create')),
        apply(stepOf('run-3', 'svc-c', 'create')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect(results[1]).toMatchObject({ reason: { code: 'TARGET_STATE_MISMATCH' } });
      expect(results[2]).toMatchObject({ reason: { code: 'CONNECTOR_UNAVAILABLE', retryable: true } });
      // The batch's writes were tried and refused (SQLite: its transaction, rolled back; PostgreSQL:
      // its one statement, no transaction), then every step was applied alone, in a transaction each.
      expect(begins).toBe(kind.name === 'sqlite' ? 5 : 4);
      const identities = await t.store.read.query<{ identity_id: string }>(
        'SELECT identity_id FROM token_identities ORDER BY identity_id',
      );
      expect(identities.map((r) => r.identity_id)).toEqual(['svc-a', 'svc-c', 'svc-taken']);
      const ops = await t.store.read.query<{ run_id: string }>(
        'SELECT run_id FROM token_operations ORDER BY run_id',
      );
      expect(ops.map((r) => r.run_id)).toEqual(['run-0', 'run-1', 'run-3']);
    });

    it('steps on one identity take effect in turn; a repeated step is found applied', async () => {
      const create = stepOf('run-1', 'svc-x', 'create');
      const [created, again, suspended] = await Promise.all([
        apply(create),
        apply(create),
        apply(stepOf('run-2', 'svc-x', 'suspend')),
      ]);
      expect(created.outcome).toBe('applied');
      expect(again).toMatchObject({ outcome: 'already_applied', outputs: created.outputs });
      expect(again.secret).toBeUndefined();
      expect(suspended.outputs).toEqual({ state: 'suspended' });
      expect((await t.connector.verifyPresented(created.secret!.value)).reason).toBe('suspended');
    });

    it('a batch over two systems acts on exactly the (system, identity) pairs of its steps', async () => {
      // Identities svc-a and svc-b exist on both systems; one batch rotates svc-a on the first system
      // and svc-b on the second. Its reads ask for both names on both systems at once: the crossed
      // pairs must be neither rotated nor taken for the asked ones.
      const other = { ...t.system, id: 'sys-tokens-2' };
      const on = (system: typeof t.system, runId: string, identity: string, action: StepAction): Step => ({
        ...stepOf(runId, identity, action),
        system,
      });
      const created = await Promise.all(
        [t.system, other].flatMap((system, s) =>
          ['svc-a', 'svc-b'].map((id, i) => apply(on(system, `run-c${s}${i}`, id, 'create'))),
        ),
      );
      const secret = (s: number, i: number) => created[s * 2 + i]!.secret!.value;
      const rotations = [on(t.system, 'run-r0', 'svc-a', 'rotate'), on(other, 'run-r1', 'svc-b', 'rotate')];
      const rotated = await Promise.all(rotations.map(apply));
      expect(rotated.map((r) => r.outcome)).toEqual(['applied', 'applied']);
      const verified = await Promise.all(
        rotations.map((s, i) => t.connector.verify(s, t.authority(scopeOf(s)), rotated[i]!.secret!.value)),
      );
      expect(verified.map((v) => v.ok)).toEqual([true, true]);
      // Without an overlap window, the rotated credentials no longer verify; the crossed ones still do.
      const valid = async (value: string) => (await t.connector.verifyPresented(value)).valid;
      expect(await Promise.all([secret(0, 0), secret(1, 1)].map(valid))).toEqual([false, false]);
      expect(await Promise.all([secret(0, 1), secret(1, 0)].map(valid))).toEqual([true, true]);
      const found = await t.connector.verifyPresented(rotated[1]!.secret!.value);
      expect(found).toMatchObject({ valid: true });
      expect(JSON.stringify(found)).toContain('sys-tokens-2');
    });
  });
}
