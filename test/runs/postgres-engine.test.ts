/**
 * The whole run engine against a real PostgreSQL target (a private server on a free port, SCRAM
 * logins), with the example inventory and bundle, on both Custos stores: the source-of-truth gate,
 * a DBA-approved service account, rotation, rollback, a target that goes down, and a target that is
 * changed behind Custos's back. Assertions are on ledger records and on the target itself.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Connector } from '../../src/connectors/contract.js';
import type { Executed } from '../../src/runs/index.js';
import type { PlainRequest } from '../../src/workflows/index.js';
import { storeKinds } from '../support/stores.js';
import {
  createPgEngine,
  forward,
  startPgTarget,
  type LedgerEntry,
  type PgEngineFixture,
  type PgTarget,
} from './pg-support.js';

const HOUR = 3600 * 1000;
const WORKFLOW = 'postgres-service-accounts';

/** reporting-svc (role reporting_ro on pg-prod): rotation is low risk, automatic. */
const ROTATE: PlainRequest = {
  principal: 'person:eve',
  action: 'rotate',
  resource: { identity: 'reporting-svc' },
};
/** A new production service account: medium risk, one DBA approves. */
const CREATE: PlainRequest = {
  principal: 'person:eve',
  action: 'create',
  resource: { new: { name: 'orders_app', kind: 'service_account', system: 'pg-prod' } },
  context: { justification: 'orders service' },
};
/** A read grant on production: medium risk, one DBA approves. */
const GRANT: PlainRequest = {
  principal: 'person:eve',
  action: 'grant',
  resource: { identity: 'reporting-svc' },
  context: { entitlements: ['SELECT ON TABLE public.orders'], justification: 'month-end report' },
};

const types = (records: readonly LedgerEntry[]) => records.map((r) => r.type);
const only = (records: readonly LedgerEntry[], type: string) => {
  const found = records.filter((r) => r.type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const checksOf = (record: LedgerEntry) =>
  (record.payload['checks'] as { checks: { name: string; ok: boolean }[] }[]).flatMap((c) => c.checks);

const available = inject('pgUrl') !== null;
let target: PgTarget;
beforeAll(async () => {
  if (available) target = await startPgTarget();
});
afterAll(async () => {
  await target?.stop();
});

for (const kind of storeKinds()) {
  describe.skipIf(!available)(`run engine on ${kind.name} against a real PostgreSQL target`, () => {
    let f: PgEngineFixture;
    afterEach(async () => {
      await f.close();
    });

    const selectGranted = async (role: string) =>
      (
        await target.sql<{ ok: boolean }>(`SELECT has_table_privilege($1, 'public.orders', 'SELECT') AS ok`, [
          role,
        ])
      )[0]!.ok;

    it('a system never reconciled, with open critical findings, or reconciled too long ago stays unreconciled', async () => {
      f = await createPgEngine(kind, target);
      const { password } = await f.seedRole('reporting-svc');
      const filed = await f.file(ROTATE, 'gate');
      let { run } = await f.engine.advance(filed.id);
      expect(run).toMatchObject({ state: 'unreconciled', reason: 'pg-prod has never been reconciled' });

      // Older than the workflow's maxReconciliationAge (PT24H).
      await f.reconcile({ at: new Date(Date.now() - 25 * HOUR) });
      ({ run } = await f.engine.resume(run.id, 'person:pat'));
      expect(run.state).toBe('unreconciled');
      expect(run.reason).toMatch(/^pg-prod was reconciled 9\d{4} s ago; the workflow allows 86400 s$/);

      await f.reconcile({ at: new Date(Date.now() - HOUR), openCriticalFindings: 2 });
      ({ run } = await f.engine.resume(run.id, 'person:pat'));
      expect(run).toMatchObject({ state: 'unreconciled', reason: 'pg-prod has 2 open critical finding(s)' });
      // Nothing reached the target while the gate held.
      expect(await f.applied(run.id)).toEqual([]);
      expect((await target.login('reporting_ro', password)).ok).toBe(true);

      await f.reconcile();
      const resumed = await f.engine.resume(run.id, 'person:pat');
      expect(resumed.run.state).toBe('completed');
      expect((await target.login('reporting_ro', resumed.secrets[0]!.value)).ok).toBe(true);

      const records = await f.records(run.id);
      expect(types(records)).toEqual([
        'run.requested',
        'run.gate_failed',
        'run.resume',
        'run.gate_failed',
        'run.resume',
        'run.gate_failed',
        'run.resume',
        'run.decided_auto',
        'run.execution_started',
        'run.step_started',
        'run.step_applied',
        'run.applied',
        'run.verified',
        'inventory.identity_updated',
      ]);
      const gates = records.filter((r) => r.type === 'run.gate_failed');
      expect(gates.map((g) => g.payload['reason'])).toEqual([
        'pg-prod has never been reconciled',
        expect.stringMatching(/reconciled 9\d{4} s ago/),
        'pg-prod has 2 open critical finding(s)',
      ]);
      for (const g of gates)
        expect(g).toMatchObject({ actor: { id: 'custos' }, payload: { system: 'pg-prod' } });
      const resumes = records.filter((r) => r.type === 'run.resume');
      for (const r of resumes) expect(r.actor).toEqual({ kind: 'human', id: 'person:pat' });
    });

    it('creates a production service account after a DBA approves: the role exists and its secret logs in', async () => {
      f = await createPgEngine(kind, target);
      await f.reconcile();
      const filed = await f.file(CREATE, 'create');
      let { run } = await f.engine.advance(filed.id);
      expect(run.state).toBe('awaiting_approval');
      expect(await target.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', ['orders_app'])).toEqual([]);
      run = await f.approveAs('person:diana', run);
      expect(run.state).toBe('approved');
      const { run: done, secrets } = await f.engine.advance(run.id);
      expect(done.state).toBe('completed');
      expect(secrets).toHaveLength(1);
      const secret = secrets[0]!;

      const [role] = await target.sql(
        `SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolvaliduntil IS NOT NULL AS expires,
                shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1`,
        ['orders_app'],
      );
      expect(role).toEqual({
        rolcanlogin: true,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        expires: true,
        comment: 'custos:{"system":"pg-prod","identity":"orders_app"}',
      });
      expect(await target.login('orders_app', secret.value)).toMatchObject({ ok: true, outcome: 'ok' });
      expect(await target.login('orders_app', 'not-the-secret')).toMatchObject({ sqlstate: '28P01' });
      expect(await f.applied(run.id)).toMatchObject([
        { step_id: 's1', action: 'create', role_name: 'orders_app' },
      ]);

      const records = await f.records(run.id);
      expect(types(records)).toEqual([
        'run.requested',
        'run.decided_approvals',
        'run.approval_counted',
        'run.approved',
        'run.execution_started',
        'run.step_started',
        'run.step_applied',
        'run.applied',
        'run.verified',
        // The created role enters the inventory, recorded by the executor with the run as correlation.
        'inventory.identity_created',
      ]);
      expect(only(records, 'run.decided_approvals').payload).toMatchObject({
        riskTier: 'medium',
        route: 'medium',
        requirements: [{ group: 'group:dba', count: 1 }],
        determiningPolicies: ['pg-create-prod'],
        steps: [{ stepId: 's1', action: 'create', system: 'pg-prod', identity: 'orders_app' }],
      });
      expect(only(records, 'run.approval_counted').actor).toEqual({ kind: 'human', id: 'person:diana' });
      expect(only(records, 'run.execution_started')).toMatchObject({
        actor: { kind: 'non_human', id: `executor:${WORKFLOW}` },
        payload: { authority: { grants: [{ action: 'create', system: 'pg-prod', identity: 'orders_app' }] } },
      });
      expect(only(records, 'run.step_started').payload).toMatchObject({
        stepId: 's1',
        action: 'create',
        prior: { exists: false, credentials: [] },
      });
      expect(only(records, 'run.step_applied').payload).toMatchObject({
        stepId: 's1',
        outcome: 'applied',
        outputs: { role: 'orders_app', fingerprint: secret.fingerprint, canLogin: true },
      });
      const checks = checksOf(only(records, 'run.verified'));
      expect(checks).toContainEqual(expect.objectContaining({ name: 'role exists', ok: true }));
      expect(checks).toContainEqual(
        expect.objectContaining({ name: 'real login with the issued password', ok: true }),
      );
      // The secret never reached the ledger, and the target saw only its SCRAM verifier.
      const ledger = await f.ledgerText();
      for (const text of [ledger, f.statements.join('\n')]) expect(text).not.toContain(secret.value);
      expect(ledger).not.toContain(target.server.adminPassword);
      expect(ledger).not.toContain('SCRAM-SHA-256$');
    });

    it('rotates: sessions opened before are ended, the old password fails with 28P01, the new one logs in', async () => {
      f = await createPgEngine(kind, target);
      const { role, password } = await f.seedRole('reporting-svc');
      const session = new pg.Client({ ...target.direct, user: role, password });
      session.on('error', () => undefined);
      await session.connect();
      await session.query('SELECT 1');
      await f.reconcile();
      const filed = await f.file(ROTATE, 'rotate');
      const { run, secrets } = await f.engine.advance(filed.id);
      expect(run.state).toBe('completed');

      await expect(session.query('SELECT 1')).rejects.toThrow();
      await session.end().catch(() => undefined);
      expect(await target.login(role, password)).toMatchObject({
        ok: false,
        sqlstate: '28P01',
        outcome: 'wrong_password',
      });
      expect(await target.login(role, secrets[0]!.value)).toMatchObject({ ok: true });

      const records = await f.records(run.id);
      expect(only(records, 'run.decided_auto').payload).toMatchObject({
        riskTier: 'low',
        determiningPolicies: ['pg-rotate'],
      });
      const { prior } = only(records, 'run.step_started').payload as {
        prior: { exists: boolean; credentials: { fingerprint: string }[] };
      };
      const { outputs } = only(records, 'run.step_applied').payload as {
        outputs: { fingerprint: string; overlapSeconds: number };
      };
      expect(outputs).toMatchObject({ fingerprint: secrets[0]!.fingerprint, overlapSeconds: 0 });
      expect(prior.exists).toBe(true);
      expect(prior.credentials).toHaveLength(1);
      expect(prior.credentials[0]!.fingerprint).not.toBe(outputs.fingerprint);
      const checks = checksOf(only(records, 'run.verified'));
      for (const name of ['sessions ended', 'old password replaced', 'real login with the issued password'])
        expect(checks).toContainEqual(expect.objectContaining({ name, ok: true }));
    });

    it('a grant whose verification disagrees pauses; rolling back revokes it on the target', async () => {
      f = await createPgEngine(kind, target);
      const { role, password } = await f.seedRole('reporting-svc');
      f.wrap(disagreeOnce, 'postgres');
      await f.reconcile();
      const filed = await f.file(GRANT, 'grant');
      const awaiting = (await f.engine.advance(filed.id)).run;
      expect(awaiting.state).toBe('awaiting_approval');
      const approved = await f.approveAs('person:dan', awaiting);
      const { run } = await f.engine.advance(approved.id);
      expect(run).toMatchObject({ state: 'paused', reason: 'verification failed on pg-prod' });
      expect(await selectGranted(role)).toBe(true);

      const rolled = await f.engine.rollback(run.id, 'person:pat');
      expect(rolled.state).toBe('rolled_back');
      expect(await selectGranted(role)).toBe(false);
      // Only the grant was undone: the role and its password are as they were.
      expect((await target.login(role, password)).ok).toBe(true);
      expect((await f.applied(run.id))[0]!.rolled_back_at).not.toBeNull();

      const records = await f.records(run.id);
      expect(only(records, 'run.step_started').payload).toMatchObject({
        prior: { grants: [{ privilege: 'SELECT', on: 'table', name: 'public.orders', held: false }] },
      });
      expect(only(records, 'run.step_applied').payload).toMatchObject({
        outputs: { granted: ['SELECT on table public.orders'] },
      });
      expect(only(records, 'run.failed').payload).toMatchObject({ retryable: false, step: 's1' });
      const alert = only(records, 'alert.raised').payload;
      expect(alert).toMatchObject({ kind: 'run.paused', severity: 'critical', details: { state: 'paused' } });
      // The requester, the identity's owners, the workflow's owners and escalation path.
      expect(new Set(alert['notify'] as string[])).toEqual(
        new Set(['person:eve', 'person:carol', 'person:bob', 'person:paula', 'person:pat']),
      );
      expect(types(records).slice(-2)).toEqual(['run.rollback', 'run.rolled_back']);
      expect(only(records, 'run.rollback').actor).toEqual({ kind: 'human', id: 'person:pat' });
      expect(only(records, 'run.rolled_back').payload).toMatchObject({
        restored: [{ step: 's1', verified: true }],
      });
      expect(types(records)).not.toContain('run.verified');
    });

    it('grants an entitlement on the target through the engine alone', async () => {
      f = await createPgEngine(kind, target);
      const { role } = await f.seedRole('reporting-svc');
      await f.reconcile();
      const filed = await f.file(GRANT, 'grant');
      const approved = await f.approveAs('person:dan', (await f.engine.advance(filed.id)).run);
      const { run } = await f.engine.advance(approved.id);
      expect(run.reason).toBeNull();
      expect(run.state).toBe('completed');
      expect(await selectGranted(role)).toBe(true);
    });

    it('refuses, before filing, a grant outside the grammar and a rotation overlap PostgreSQL cannot hold', async () => {
      f = await createPgEngine(kind, target);
      await f.seedRole('reporting-svc');
      await f.reconcile();
      const size = await f.ti.t.ledger.size();
      const hostile = 'SELECT ON TABLE public.orders; DROP ROLE postgres';
      const cases = [
        [{ ...GRANT, context: { ...GRANT.context, entitlements: [hostile] } }, 'INPUT_INVALID'],
        [{ ...ROTATE, context: { overlapSeconds: 60 } }, 'CONNECTOR_REFUSED'],
      ] as const;
      for (const [i, [request, refusal]] of cases.entries()) {
        const error = await f.file(request, `bad-${i}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({
          code: 'INPUT_INVALID',
          details: { system: 'pg-prod', identity: 'reporting-svc', action: request.action, refusal },
        });
      }
      expect(await f.ti.t.ledger.size()).toBe(size);
      expect(await f.engine.list()).toEqual([]);
    });

    it('rolling back a rotation puts the old password back and ends the new one', async () => {
      f = await createPgEngine(kind, target);
      const { role, password } = await f.seedRole('reporting-svc');
      f.wrap(disagreeOnce, 'postgres');
      await f.reconcile();
      const { run, secrets } = await f.engine.advance((await f.file(ROTATE, 'rotate-back')).id);
      expect(run.state).toBe('paused');
      expect((await target.login(role, password)).ok).toBe(false);
      expect((await f.engine.rollback(run.id, 'person:pat')).state).toBe('rolled_back');
      expect((await target.login(role, password)).ok).toBe(true);
      expect(await target.login(role, secrets[0]!.value)).toMatchObject({ ok: false, sqlstate: '28P01' });
      // The seeded password never expired; the rotated one did (VALID UNTIL now + 90 days).
      const [row] = await target.sql<{ never: boolean }>(
        `SELECT coalesce(rolvaliduntil = 'infinity', true) AS never FROM pg_roles WHERE rolname = $1`,
        [role],
      );
      expect(row!.never).toBe(true);
    });

    it('a target that is down pauses the run with an alert; once it is back a resume completes it, applied once', async () => {
      f = await createPgEngine(kind, target);
      const { role, password } = await f.seedRole('reporting-svc');
      await f.reconcile();
      const filed = await f.file(ROTATE, 'down');
      await target.link.down();
      try {
        let { run } = await f.engine.advance(filed.id);
        expect(run.state).toBe('paused');
        expect(run.reason).toMatch(/PostgreSQL unavailable/);
        ({ run } = await f.engine.resume(run.id, 'person:pat'));
        expect(run).toMatchObject({ state: 'paused', attempts: 1 });
        const records = await f.records(run.id);
        const failures = records.filter((r) => r.type === 'run.failed');
        expect(failures).toHaveLength(2);
        for (const failure of failures)
          expect(failure.payload).toMatchObject({ retryable: true, step: 's1' });
        const alerts = records.filter((r) => r.type === 'alert.raised');
        expect(alerts.map((a) => a.payload['kind'])).toEqual(['run.paused', 'run.paused']);
        expect(alerts[0]!.payload['summary']).toMatch(/PostgreSQL unavailable/);
        expect(types(records)).not.toContain('run.step_applied');
      } finally {
        await target.link.up();
      }
      const { run, secrets } = await f.engine.resume(filed.id, 'person:pat');
      expect(run).toMatchObject({ state: 'completed', attempts: 2 });
      expect(await f.applied(run.id)).toHaveLength(1);
      expect((await target.login(role, secrets[0]!.value)).ok).toBe(true);
      expect((await target.login(role, password)).ok).toBe(false);
      const records = await f.records(run.id);
      expect(records.filter((r) => r.type === 'run.retry_requested')).toHaveLength(2);
      expect(only(records, 'run.step_applied').payload).toMatchObject({ outcome: 'applied' });
      expect(types(records).slice(-2)).toEqual(['run.verified', 'inventory.identity_updated']);
    });

    it('a target lost right after the effect pauses the run; the resume finds it applied and does not repeat it', async () => {
      f = await createPgEngine(kind, target);
      const { role } = await f.seedRole('reporting-svc');
      f.wrap(
        (real) => ({
          ...forward(real),
          apply: async (step, authority) => {
            const result = await real.apply(step, authority);
            await target.link.down();
            return result;
          },
        }),
        'postgres',
      );
      await f.reconcile();
      const filed = await f.file(ROTATE, 'lost');
      let first: Executed;
      try {
        first = await f.engine.advance(filed.id);
      } finally {
        await target.link.up();
      }
      expect(first.run.state).toBe('paused');
      expect(first.run.reason).toMatch(/PostgreSQL unavailable during verify/);
      f.wrap(forward, 'postgres');
      const resumed = await f.engine.resume(first.run.id, 'person:pat');
      expect(resumed.run.state).toBe('completed');
      expect(resumed.secrets).toEqual([]);
      expect(await f.applied(first.run.id)).toHaveLength(1);
      // The password delivered by the first attempt is the one on the target.
      expect((await target.login(role, first.secrets[0]!.value)).ok).toBe(true);
      // The step's result was recorded before the target was lost: the resume only verifies.
      const records = await f.records(first.run.id);
      expect(only(records, 'run.step_applied').payload).toMatchObject({ outcome: 'applied' });
      expect(types(records).slice(-5)).toEqual([
        'run.retry_requested',
        'run.resume',
        'run.applied',
        'run.verified',
        'inventory.identity_updated',
      ]);
    });

    it('a role altered behind Custos between apply and verify pauses the run, and a resume does not complete it', async () => {
      f = await createPgEngine(kind, target);
      const { role } = await f.seedRole('reporting-svc');
      f.wrap((real) => tamperAfterApply(real, target, `ALTER ROLE "${role}" NOLOGIN`), 'postgres');
      await f.reconcile();
      const { run, secrets } = await f.engine.advance((await f.file(ROTATE, 'tamper')).id);
      expect(run).toMatchObject({ state: 'paused', reason: 'verification failed on pg-prod' });
      expect(await target.login(role, secrets[0]!.value)).toMatchObject({ outcome: 'login_not_allowed' });
      const failed = only(await f.records(run.id), 'run.failed');
      expect(checksOf(failed)).toContainEqual(expect.objectContaining({ name: 'rolcanlogin', ok: false }));
      expect(checksOf(failed)).toContainEqual(
        expect.objectContaining({ name: 'real login with the issued password', ok: false }),
      );

      f.wrap(forward, 'postgres');
      const resumed = await f.engine.resume(run.id, 'person:pat');
      expect(resumed.run.state).toBe('paused');
      expect(types(await f.records(run.id))).not.toContain('run.verified');
    });

    // On a resume the engine no longer holds the issued secret (the first attempt handed it to the
    // requester), so verification cannot log in: the connector compares pg_authid.rolpassword with
    // the verifier the step set, kept in its journal row on the target.
    it('a password reset behind Custos after apply never lets the run complete', async () => {
      f = await createPgEngine(kind, target);
      const { role } = await f.seedRole('reporting-svc');
      f.wrap(
        (real) => tamperAfterApply(real, target, `ALTER ROLE "${role}" PASSWORD 'someone-elses'`),
        'postgres',
      );
      await f.reconcile();
      const { run } = await f.engine.advance((await f.file(ROTATE, 'reset')).id);
      expect(run.state).toBe('paused');
      f.wrap(forward, 'postgres');
      expect((await f.engine.resume(run.id, 'person:pat')).run.state).toBe('paused');
    });

    // The prior state is kept from before the effect: a resume must not replace it with the state after.
    it('rolling back after a resume restores the state from before the run', async () => {
      f = await createPgEngine(kind, target);
      f.wrap((real) => disagree(real, 2), 'postgres');
      await f.reconcile();
      const filed = await f.file(CREATE, 'create-back');
      const approved = await f.approveAs('person:diana', (await f.engine.advance(filed.id)).run);
      expect((await f.engine.advance(approved.id)).run.state).toBe('paused');
      const resumed = await f.engine.resume(approved.id, 'person:pat');
      expect(resumed.run.state).toBe('paused');
      expect(await target.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', ['orders_app'])).toHaveLength(1);
      expect((await f.engine.rollback(approved.id, 'person:pat')).state).toBe('rolled_back');
      expect(await target.sql('SELECT 1 FROM pg_roles WHERE rolname = $1', ['orders_app'])).toEqual([]);
      const started = only(await f.records(approved.id), 'run.step_started');
      expect(started.payload).toMatchObject({ prior: { exists: false } });
    });
  });
}

/** Verification reports a disagreement the first `times` times (a forced pause), then tells the truth. */
function disagree(real: Connector, times: number): Connector {
  let left = times;
  return {
    ...forward(real),
    verify: async (step, authority, secret) => {
      const result = await real.verify(step, authority, secret);
      if (left-- <= 0) return result;
      return { ok: false, checks: [...result.checks, { name: 'read-back', ok: false, detail: 'forced' }] };
    },
  };
}

const disagreeOnce = (real: Connector) => disagree(real, 1);

/** Someone changes the role on the target right after Custos applied its step. */
function tamperAfterApply(real: Connector, target: PgTarget, statement: string): Connector {
  return {
    ...forward(real),
    apply: async (step, authority) => {
      const result = await real.apply(step, authority);
      await target.sql(statement);
      return result;
    },
  };
}
