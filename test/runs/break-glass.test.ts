/**
 * Break-glass end to end against a real PostgreSQL target, on both stores, with a controlled clock:
 * granted at once and notified to every owner, revoked automatically at expiry by a run of its own
 * (verified on the target), and reviewed after the fact by the workflow's named reviewer; a missed
 * review escalates along the escalation path.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { listAlerts } from '../../src/alerts/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import type { PlainRequest } from '../../src/workflows/index.js';
import { storeKinds } from '../support/stores.js';
import { createPgEngine, startPgTarget, type PgEngineFixture, type PgTarget } from './pg-support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const BREAK_GLASS: PlainRequest = {
  principal: 'person:dan',
  action: 'break_glass',
  resource: { identity: 'reporting-svc' },
  context: {
    entitlements: ['SELECT ON TABLE public.orders'],
    durationMinutes: 60,
    justification: 'incident 42',
  },
};

const available = inject('pgUrl') !== null;
let target: PgTarget;
beforeAll(async () => {
  if (available) target = await startPgTarget();
});
afterAll(async () => {
  await target?.stop();
});

for (const kind of storeKinds()) {
  describe.skipIf(!available)(`break-glass on ${kind.name} against a real PostgreSQL target`, () => {
    let f: PgEngineFixture;
    afterEach(async () => {
      await f.close();
    });

    it('is granted at once, revoked by its own run at expiry, and reviewed after the fact', async () => {
      let t = Date.now();
      const now = () => new Date(t);
      f = await createPgEngine(kind, target, { now });
      await f.reconcile({ at: now() });
      const { role } = await f.seedRole('reporting-svc');
      const canSelect = async () =>
        (
          await target.sql<{ ok: boolean }>(
            `SELECT has_table_privilege($1, 'public.orders', 'SELECT') AS ok`,
            [role],
          )
        )[0]!.ok;
      expect(await canSelect()).toBe(false);

      // Longer than the workflow allows: denied with the reason, nothing applied.
      const tooLong = await f.file(
        { ...BREAK_GLASS, context: { ...BREAK_GLASS.context, durationMinutes: 600 } },
        'bg-0',
      );
      expect((await f.engine.advance(tooLong.id)).run).toMatchObject({ state: 'denied' });

      const filed = await f.file(BREAK_GLASS, 'bg-1');
      const { run } = await f.engine.advance(filed.id);
      expect(run.state).toBe('completed');
      expect(await canSelect()).toBe(true);
      const [grant] = await f.engine.grants({ identity: 'reporting-svc' });
      expect(grant).toMatchObject({
        kind: 'break_glass',
        state: 'active',
        runId: run.id,
        details: { entitlements: ['SELECT ON TABLE public.orders'] },
        expiresAt: new Date(t + HOUR).toISOString(),
        reviewDueAt: new Date(t + 25 * HOUR).toISOString(),
      });
      const granted = (await f.records(run.id)).find((r) => r.type === 'break_glass.granted')!;
      expect(granted.payload).toMatchObject({ grant: grant!.id, reviewer: 'person:pat' });
      const [notice] = (await listAlerts(f.ti.t.store.read, {})).filter(
        (a) => a.kind === 'break_glass.granted',
      );
      // Every owner: the workflow's four and the identity's.
      expect(new Set(notice!.notify)).toEqual(
        new Set(['person:carol', 'person:bob', 'person:paula', 'person:pat']),
      );
      expect(notice!.severity).toBe('critical');

      // Nobody reviews their own break-glass; only the named reviewer reviews before it is overdue.
      await expect(
        f.engine.reviewBreakGlass(grant!.id, 'person:dan', 'appropriate', 'mine'),
      ).rejects.toMatchObject({
        code: 'SOD_VIOLATION',
      });
      await expect(
        f.engine.reviewBreakGlass(grant!.id, 'person:bob', 'appropriate', 'ok'),
      ).rejects.toMatchObject({
        code: 'APPROVAL_NOT_ELIGIBLE',
      });

      // Nothing happens before expiry; at expiry a fresh engine revokes it with a run of its own.
      t += 59 * MINUTE;
      expect((await f.restart().tick()).runs).toEqual([]);
      t += 2 * MINUTE;
      const fired = await f.restart().tick();
      expect(fired.runs).toHaveLength(1);
      expect(await canSelect()).toBe(false);
      const revocation = await f.engine.get(fired.runs[0]!);
      expect(revocation).toMatchObject({
        state: 'completed',
        requester: 'custos',
        origin: { kind: 'revokes', grant: grant!.id, run: run.id },
        request: { action: 'revoke', context: { entitlements: ['SELECT ON TABLE public.orders'] } },
      });
      expect((await f.records(revocation.id)).map((r) => r.type)).toContain('run.verified');
      expect(await f.engine.grant(grant!.id)).toMatchObject({
        state: 'revoked',
        followUpRunId: revocation.id,
      });
      const openerTypes = (await f.records(run.id)).map((r) => r.type);
      expect(openerTypes).toEqual(expect.arrayContaining(['break_glass.expired', 'break_glass.revoked']));

      // The review is due a day after expiry: missed, it escalates along the path (pat, then bob).
      t += 24 * HOUR;
      await f.restart().tick();
      const overdue = () =>
        listAlerts(f.ti.t.store.read, {}).then((all) =>
          all.filter((a) => a.kind === 'break_glass.review_overdue'),
        );
      expect((await overdue()).map((a) => a.notify)).toEqual([['person:pat']]);
      t += 24 * HOUR;
      await f.restart().tick();
      expect((await overdue()).map((a) => a.notify)).toEqual([['person:pat'], ['person:pat', 'person:bob']]);

      // Once escalated, someone on the path may review; a review needs a rationale.
      await expect(
        f.engine.reviewBreakGlass(grant!.id, 'person:bob', 'appropriate', ' '),
      ).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
      const reviewed = await f.engine.reviewBreakGlass(
        grant!.id,
        'person:bob',
        'appropriate',
        'incident 42 confirmed',
      );
      expect(reviewed).toMatchObject({ reviewedBy: 'person:bob' });
      t += 48 * HOUR;
      await f.restart().tick();
      expect(await overdue()).toHaveLength(2);
      const review = (await f.records(run.id)).find((r) => r.type === 'break_glass.reviewed')!;
      expect(review).toMatchObject({
        actor: { kind: 'human', id: 'person:bob' },
        payload: { verdict: 'appropriate', overdue: true },
      });
      await verifyLive(f.ti.t.ledger);
    });
  });
}
