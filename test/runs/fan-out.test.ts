/**
 * Fan-out: one request for the same change on identities of several systems — here the reporting
 * role on two real PostgreSQL servers (pg-prod and pg-analytics, each behind a link the test can
 * cut), on both Custos stores. Every system's outcome is recorded; a failure on one system pauses
 * the whole run (never a partial success), and a resume or a rollback finishes it on every system.
 */
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { scramVerifier } from '../../src/connectors/postgres/index.js';
import { managedComment } from '../../src/connectors/postgres/pg-role.js';
import { isCustosError } from '../../src/core/errors.js';
import type { PlainRequest } from '../../src/workflows/index.js';
import { storeKinds } from '../support/stores.js';
import {
  createPgEngine,
  startPgTarget,
  type LedgerEntry,
  type PgEngineFixture,
  type PgTarget,
} from './pg-support.js';

const PROD = 'reporting-svc';
const ANALYTICS = 'reporting-analytics';
const ANALYTICS_ROLE = 'reporting_an';

const fanOut = (action: PlainRequest['action'], identities: string[]): PlainRequest => ({
  principal: 'person:eve',
  action,
  resource: { identities },
});

const only = (records: readonly LedgerEntry[], type: string) => {
  const found = records.filter((r) => r.type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

const available = inject('pgUrl') !== null;
let prod: PgTarget;
let analytics: PgTarget;
beforeAll(async () => {
  if (!available) return;
  [prod, analytics] = await Promise.all([startPgTarget(), startPgTarget()]);
});
afterAll(async () => {
  await Promise.all([prod?.stop(), analytics?.stop()]);
});

/** The example engine with a second PostgreSQL system holding the analytics twin of reporting-svc. */
async function twoSystems(kind: ReturnType<typeof storeKinds>[number]) {
  const f = await createPgEngine(kind, prod, {
    secrets: { CUSTOS_PG2_PASSWORD: analytics.server.adminPassword },
  });
  const actor = { actor: 'person:alice' };
  await f.ti.inventory.createSystem(
    {
      id: 'pg-analytics',
      type: 'postgres',
      environment: 'prod',
      owner: 'group:dba',
      connection: {
        host: '127.0.0.1',
        port: analytics.link.port,
        database: 'payments',
        user: 'custos_admin',
        password: 'env:CUSTOS_PG2_PASSWORD',
        sslmode: 'disable',
      },
    },
    actor,
  );
  await f.ti.inventory.createIdentity(
    {
      id: ANALYTICS,
      kind: 'service_account',
      system: 'pg-analytics',
      externalId: ANALYTICS_ROLE,
      state: 'active',
      riskTier: 'medium',
      owners: { business: 'person:lee', policy: 'person:paula', platform: 'person:pat' },
    },
    actor,
  );
  const seeded = await f.seedRole(PROD);
  const password = crypto.randomBytes(18).toString('base64url');
  await analytics.sql(`CREATE ROLE "${ANALYTICS_ROLE}" LOGIN PASSWORD '${scramVerifier(password)}'`);
  const comment = managedComment('pg-analytics', ANALYTICS).replaceAll("'", "''");
  await analytics.sql(`COMMENT ON ROLE "${ANALYTICS_ROLE}" IS '${comment}'`);
  const reconcileBoth = async () => {
    await f.reconcile();
    await f.ti.inventory.recordReconciliation('pg-analytics', {
      at: new Date(),
      openCriticalFindings: 0,
      actor: 'service:ci-pipeline',
    });
  };
  return { f, prodPassword: seeded.password, analyticsPassword: password, reconcileBoth };
}

for (const kind of storeKinds()) {
  describe.skipIf(!available)(`fan-out across two PostgreSQL systems on ${kind.name}`, () => {
    let f: PgEngineFixture | undefined;
    afterEach(async () => {
      await f?.close();
      await analytics.dropManagedRoles();
      f = undefined;
    });

    it('rotates both roles in one automatic run: each system verified, each credential delivered, each identity updated', async () => {
      const setup = await twoSystems(kind);
      f = setup.f;
      await setup.reconcileBoth();
      const filed = await f.file(fanOut('rotate', [PROD, ANALYTICS]), 'rotate-both');
      const { run, secrets } = await f.engine.advance(filed.id);
      expect(run.state).toBe('completed');
      // Each credential says whose it is.
      expect(secrets.map((s) => [s.stepId, s.system, s.identity])).toEqual([
        ['s1', 'pg-prod', PROD],
        ['s2', 'pg-analytics', ANALYTICS],
      ]);

      // On each server: the new password logs in, the old one is refused.
      expect((await prod.login('reporting_ro', secrets[0]!.value)).ok).toBe(true);
      expect((await prod.login('reporting_ro', setup.prodPassword)).ok).toBe(false);
      expect((await analytics.login(ANALYTICS_ROLE, secrets[1]!.value)).ok).toBe(true);
      expect((await analytics.login(ANALYTICS_ROLE, setup.analyticsPassword)).ok).toBe(false);

      const records = await f.records(run.id);
      expect(only(records, 'run.decided_auto').payload).toMatchObject({
        riskTier: 'low',
        steps: [
          { stepId: 's1', action: 'rotate', system: 'pg-prod', identity: PROD },
          { stepId: 's2', action: 'rotate', system: 'pg-analytics', identity: ANALYTICS },
        ],
        parts: [
          { identity: PROD, allowed: true, riskTier: 'low', determiningPolicies: ['pg-rotate'] },
          { identity: ANALYTICS, allowed: true, riskTier: 'low', determiningPolicies: ['pg-rotate'] },
        ],
      });
      // One authority for the run, naming exactly the two approved effects.
      expect(only(records, 'run.execution_started').payload).toMatchObject({
        authority: {
          grants: [
            { action: 'rotate', system: 'pg-prod', identity: PROD },
            { action: 'rotate', system: 'pg-analytics', identity: ANALYTICS },
          ],
        },
      });
      const applied = records.filter((r) => r.type === 'run.step_applied');
      expect(applied.map((r) => r.payload['step'] ?? r.payload['stepId'])).toEqual(['s1', 's2']);
      const checks = only(records, 'run.verified').payload['checks'] as { system: string; ok: boolean }[];
      expect(checks.map((c) => [c.system, c.ok])).toEqual([
        ['pg-prod', true],
        ['pg-analytics', true],
      ]);
      const secret = secrets.map((s) => s.value);
      const text = await f.ledgerText();
      for (const value of secret) expect(text).not.toContain(value);

      for (const [id, s] of [
        [PROD, secrets[0]!],
        [ANALYTICS, secrets[1]!],
      ] as const) {
        const identity = (await f.ti.inventory.getIdentity(id))!;
        expect(identity.credentials.map((c) => c.fingerprint)).toEqual([s.fingerprint]);
      }
    });

    it('a system that is down pauses the run with each system’s outcome; a resume finishes it, nothing applied twice', async () => {
      const setup = await twoSystems(kind);
      f = setup.f;
      await setup.reconcileBoth();
      const filed = await f.file(fanOut('suspend', [PROD, ANALYTICS]), 'suspend-both');
      await analytics.link.down();
      try {
        const { run } = await f.engine.advance(filed.id);
        expect(run.state).toBe('paused');
        expect(run.reason).toMatch(/PostgreSQL unavailable/);
        // pg-prod is suspended already; pg-analytics is not: a partial state, not a success.
        expect((await prod.login('reporting_ro', setup.prodPassword)).ok).toBe(false);
        expect((await analytics.login(ANALYTICS_ROLE, setup.analyticsPassword)).ok).toBe(true);
        const records = await f.records(run.id);
        const failed = only(records, 'run.failed').payload;
        expect(failed).toMatchObject({ retryable: true, step: 's2' });
        const outcomes = failed['outcomes'] as {
          step: string;
          system: string;
          identity: string;
          status: string;
        }[];
        expect(outcomes.map((o) => [o.step, o.system, o.identity])).toEqual([
          ['s1', 'pg-prod', PROD],
          ['s2', 'pg-analytics', ANALYTICS],
        ]);
        expect(outcomes[0]!.status).toBe('applied');
        expect(outcomes[1]!.status).not.toBe('applied');
        expect(records.map((r) => r.type)).not.toContain('run.verified');
        const alert = only(records, 'alert.raised').payload;
        // Owners of both identities hear of it (lee owns only the analytics one).
        expect(alert['notify']).toEqual(expect.arrayContaining(['person:eve', 'person:bob', 'person:lee']));
      } finally {
        await analytics.link.up();
      }
      const { run } = await f.engine.resume(filed.id, 'person:pat');
      expect(run).toMatchObject({ state: 'completed', attempts: 1 });
      expect((await analytics.login(ANALYTICS_ROLE, setup.analyticsPassword)).ok).toBe(false);
      expect(await f.applied(run.id)).toHaveLength(1);
      const applied = (await f.records(run.id)).filter((r) => r.type === 'run.step_applied');
      expect(applied).toHaveLength(2);
      for (const id of [PROD, ANALYTICS])
        expect((await f.ti.inventory.getIdentity(id))!.state).toBe('suspended');
    });

    it('rolling back a partly applied fan-out restores every system it reached, verified', async () => {
      const setup = await twoSystems(kind);
      f = setup.f;
      await setup.reconcileBoth();
      const filed = await f.file(fanOut('suspend', [PROD, ANALYTICS]), 'suspend-back');
      await analytics.link.down();
      let paused;
      try {
        paused = (await f.engine.advance(filed.id)).run;
      } finally {
        await analytics.link.up();
      }
      expect(paused.state).toBe('paused');
      const rolled = await f.engine.rollback(paused.id, 'person:pat');
      expect(rolled.state).toBe('rolled_back');
      expect((await prod.login('reporting_ro', setup.prodPassword)).ok).toBe(true);
      expect((await analytics.login(ANALYTICS_ROLE, setup.analyticsPassword)).ok).toBe(true);
      const restored = only(await f.records(paused.id), 'run.rolled_back').payload['restored'] as {
        step: string;
      }[];
      expect(restored.map((r) => r.step)).toContain('s1');
      for (const id of [PROD, ANALYTICS])
        expect((await f.ti.inventory.getIdentity(id))!.state).toBe('active');
    });

    it('is decided as a whole: another workflow, an unreconciled system or a denied part stops every system', async () => {
      const setup = await twoSystems(kind);
      f = setup.f;
      await f.reconcile(); // pg-prod only
      const gated = (await f.engine.advance((await f.file(fanOut('rotate', [PROD, ANALYTICS]), 'gate')).id))
        .run;
      expect(gated.state).toBe('unreconciled');
      expect(gated.reason).toMatch(/pg-analytics has never been reconciled/);

      await setup.reconcileBoth();
      const mixed = (
        await f.engine.advance(
          (
            await f.file(
              { ...fanOut('rotate', [PROD, 'payments-api-token']), context: { durationMinutes: 60 } },
              'mixed',
            )
          ).id,
        )
      ).run;
      expect(mixed.state).toBe('denied');
      expect(mixed.reason).toMatch(/decided by one workflow/);

      // person:eve is no DBA: retiring is denied on both parts, and says so per identity.
      const retire = (
        await f.engine.advance((await f.file(fanOut('retire', [PROD, ANALYTICS]), 'retire')).id)
      ).run;
      expect(retire.state).toBe('denied');
      expect(retire.reason).toContain(`${PROD}: `);
      expect(retire.reason).toContain(`${ANALYTICS}: `);

      for (const run of [gated, mixed, retire]) expect(await f.applied(run.id)).toHaveLength(0);
      expect((await prod.login('reporting_ro', setup.prodPassword)).ok).toBe(true);
      expect((await analytics.login(ANALYTICS_ROLE, setup.analyticsPassword)).ok).toBe(true);
    });

    it('refuses a malformed fan-out with INPUT_INVALID and writes nothing', async () => {
      const setup = await twoSystems(kind);
      f = setup.f;
      const count = async () => {
        const read = f!.ti.t.store.read;
        const [runs] = await read.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM runs');
        const [records] = await read.query<{ n: number | string }>(
          'SELECT COUNT(*) AS n FROM ledger_records',
        );
        return [Number(runs!.n), Number(records!.n)];
      };
      const before = await count();
      const bad: PlainRequest[] = [
        {
          ...fanOut('grant', [PROD, ANALYTICS]),
          context: { entitlements: ['SELECT ON TABLE public.orders'] },
        },
        fanOut('rotate', [PROD, PROD]),
        fanOut('rotate', [PROD]),
        fanOut(
          'rotate',
          Array.from({ length: 17 }, (_, i) => `id-${i}`),
        ),
      ];
      for (const [i, request] of bad.entries()) {
        const error = await f.file(request, `bad-${i}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCustosError(error, 'INPUT_INVALID'), String(error)).toBe(true);
      }
      expect(await count()).toEqual(before);
    });
  });
}
