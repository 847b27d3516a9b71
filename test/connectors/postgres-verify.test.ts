/**
 * What verify notices without the issued secret (as on a resume): a password reset behind Custos's
 * back after create or rotate, compared on the target with the verifier the step set, which never
 * leaves the connector; a rotation rolled back and then changed again; and a journal created by an
 * older connector, upgraded in place.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { startPgServer, type PgServer } from './postgres/pg-server.js';
import { makePgTarget, type PgTarget } from './postgres/pg-target.js';

let server: PgServer;
let t: PgTarget;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(() => server.stop());
afterEach(() => t.cleanup());

const sql = <T extends Record<string, unknown>>(text: string, values?: unknown[]) =>
  server.superuser<T>(t.database, text, values);
const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const verify = (s: AuthorisedStep, secret?: string) => t.connector.verify(s.step, s.authority, secret);
const failing = async (s: AuthorisedStep) =>
  (await verify(s)).checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
const rolpassword = async () =>
  (await sql<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [t.role]))[0]!.p;
const RESET =
  'password is the one this step set: pg_authid.rolpassword was changed after this step, not by it';

describe('postgres connector: verify without the secret', () => {
  for (const action of ['create', 'rotate'] as const) {
    it(`notices a password reset behind Custos after ${action}, and never returns the verifier`, async () => {
      t = await makePgTarget(server);
      const s = stepFor(t);
      const create = s('run-1', 'create', 'create');
      await apply(create);
      const step = action === 'create' ? create : s('run-2', 'rotate', 'rotate');
      if (action === 'rotate') await apply(step);
      const set = await rolpassword();
      const ok = await verify(step);
      expect(ok.ok).toBe(true);
      expect(ok.checks).toContainEqual(
        expect.objectContaining({ name: 'password is the one this step set', ok: true }),
      );

      // Same password text would give a new salt, hence a new verifier: any reset is visible.
      await sql(`ALTER ROLE ${t.role} PASSWORD 'someone-elses'`);
      expect(await failing(step)).toEqual([RESET]);
      const text = JSON.stringify(await verify(step));
      expect(text).not.toContain('SCRAM-SHA-256$');
      expect(text).not.toContain(set.split('$')[2]!);
      assertNoSecrets(JSON.parse(text) as Parameters<typeof assertNoSecrets>[0]);

      // Put back exactly the verifier Custos set (a restore from backup, say): verify agrees again.
      await sql(`ALTER ROLE ${t.role} PASSWORD '${set}'`);
      expect((await verify(step)).ok).toBe(true);
    });
  }

  it('a password removed behind Custos fails verification too', async () => {
    t = await makePgTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create');
    await apply(create);
    await sql(`ALTER ROLE ${t.role} PASSWORD NULL`);
    expect(await failing(create)).toEqual([RESET]);
  });

  it('after a rotation is rolled back, verify compares the role with the prior state it restored', async () => {
    t = await makePgTarget(server);
    const s = stepFor(t);
    const old = (await apply(s('run-1', 'create', 'create'))).secret!.value;
    const rotate = s('run-2', 'rotate', 'rotate');
    const prior = await t.connector.readPrior(rotate.step, rotate.authority);
    const fresh = (await apply(rotate)).secret!.value;
    await t.connector.rollback(rotate.step, rotate.authority, prior);
    expect(await t.login(old)).toBe(true);
    const checks = (await verify(rotate, fresh)).checks;
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['rolled back', true],
      ['rolcanlogin restored', true],
      ['rolvaliduntil restored', true],
      ['password restored', true],
      ['real login with the issued password', true],
    ]);

    await sql(`ALTER ROLE ${t.role} PASSWORD 'someone-elses' VALID UNTIL 'infinity'`);
    expect(await failing(rotate)).toEqual([
      expect.stringMatching(/^rolvaliduntil restored: is infinity, was 20\d\d-/),
      'password restored: the verifier differs from the prior one',
    ]);
  });

  it('upgrades a journal written by an older connector in place, and keeps working', async () => {
    t = await makePgTarget(server);
    await sql(`CREATE SCHEMA custos; CREATE TABLE custos.applied_steps (
      run_id text NOT NULL, step_id text NOT NULL, action text NOT NULL, role_name text NOT NULL,
      outputs text NOT NULL, prior_verifier text, applied_at timestamptz NOT NULL DEFAULT now(),
      rolled_back_at timestamptz, PRIMARY KEY (run_id, step_id))`);
    await sql(
      `INSERT INTO custos.applied_steps (run_id, step_id, action, role_name, outputs)
               VALUES ('old-run', 's1', 'create', $1, '{}')`,
      [t.role],
    );
    const create = stepFor(t)('run-1', 'create', 'create');
    await apply(create);
    expect((await verify(create)).ok).toBe(true);
    const [row] = await sql<{ same: boolean }>(
      `SELECT j.set_verifier = a.rolpassword AS same FROM custos.applied_steps j
         JOIN pg_authid a ON a.rolname = j.role_name WHERE j.run_id = 'run-1'`,
    );
    expect(row!.same).toBe(true);
    // A create recorded before the journal kept verifiers cannot be checked without the secret.
    const old = stepFor(t)('old-run', 's1', 'create');
    expect(await failing(old)).toEqual([
      'password is the one this step set: the step kept no verifier to compare with (journal row from an older connector)',
    ]);
  });
});
