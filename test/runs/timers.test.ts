/**
 * Durable timers on both stores, with a controlled clock: approval reminders, escalation along the
 * workflow's path and expiry; the exception lifecycle (approval, reminder, expiry, remediation run
 * linked to the grant). Timers are rows: an engine started afresh on the same store fires them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateApproverKey } from '../../src/approvals/index.js';
import { listAlerts } from '../../src/alerts/index.js';
import { verifyLive } from '../../src/ledger/ledger-verify.js';
import type { Run } from '../../src/runs/index.js';
import { pendingTimers } from '../../src/runs/timers.js';
import { storeKinds } from '../support/stores.js';
import { ENGINEER_KEY, createEngine, recordsOf, sign, type EngineFixture } from './support.js';

const HOUR = 3600_000;

class Clock {
  t = Date.now();
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

const EXCEPTION = {
  principal: 'person:eve',
  action: 'exception',
  resource: { identity: 'payments-api-token' },
  context: {
    durationMinutes: 10080,
    justification: 'vendor freeze',
    control: 'rotation-30d',
    compensatingControl: 'token bound to the payments egress addresses',
  },
} as const;

for (const kind of storeKinds()) {
  describe(`durable timers on ${kind.name}`, () => {
    let f: EngineFixture;
    afterEach(async () => {
      await f.close();
    });

    it('an unanswered approval reminds the approvers, escalates along the path, then expires', async () => {
      const clock = new Clock();
      f = await createEngine(kind, { now: clock.now });
      const filed = await f.engine.file({
        request: ENGINEER_KEY,
        requester: 'person:eve',
        justification: 'metrics',
        idempotencyKey: 'timers-1',
      });
      const { run } = await f.engine.advance(filed.id);
      expect(run.state).toBe('awaiting_approval');
      const read = f.ti.t.store.read;
      expect((await pendingTimers(read, run.id)).map((t) => t.kind).sort()).toEqual([
        'approval.escalate',
        'approval.expire',
        'approval.remind',
      ]);
      expect(await f.engine.tick()).toMatchObject({ fired: 0 });

      // The route says: remind after 2 h, escalate after 8 h (then every 8 h), expire after 1 day.
      // Each step is fired by an engine started afresh: the timers live in the store.
      clock.advance(2 * HOUR + 1000);
      expect(await f.restart().tick()).toMatchObject({ fired: 1, failed: 0 });
      clock.advance(6 * HOUR);
      await f.restart().tick();
      clock.advance(8 * HOUR);
      await f.restart().tick();
      expect((await f.engine.get(run.id)).state).toBe('awaiting_approval');
      clock.advance(8 * HOUR);
      await f.restart().tick();

      const alerts = (await listAlerts(read, {})).filter((a) => a.correlationId === run.id);
      expect(alerts.map((a) => [a.kind, a.notify])).toEqual([
        ['approval.reminder', ['group:platform']],
        ['approval.escalated', ['person:pat']],
        ['approval.escalated', ['person:paula']],
        ['approval.expired', ['person:eve']],
      ]);
      const expired = await f.engine.get(run.id);
      expect(expired.state).toBe('expired');
      expect(expired.reason).toContain('P1D');
      const pat = generateApproverKey('person:pat');
      await f.engine.registerApproverKey(pat.principal, pat.publicKey);
      await expect(
        f.engine.approve(run.id, sign(pat, run, 'approve', 'fine', clock.now())),
      ).rejects.toMatchObject({
        code: 'RUN_NOT_APPROVABLE',
      });
      const types = (await recordsOf(f, run.id)).map((r) => r['type']);
      expect(types.filter((t) => t === 'alert.raised')).toHaveLength(4);
      expect(types).toContain('run.expired');
      expect(await pendingTimers(read, run.id)).toEqual([]);
      await verifyLive(f.ti.t.ledger);
    });

    it('an approved run lets its timers lapse; the key it issued expires as asked and its rotation falls due', async () => {
      const clock = new Clock();
      f = await createEngine(kind, { now: clock.now });
      const filed = await f.engine.file({
        request: ENGINEER_KEY,
        requester: 'person:eve',
        justification: 'metrics',
        idempotencyKey: 'timers-2',
      });
      const { run } = await f.engine.advance(filed.id);
      const pat = generateApproverKey('person:pat');
      await f.engine.registerApproverKey(pat.principal, pat.publicKey);
      await f.engine.approve(run.id, sign(pat, run, 'approve', 'fine', clock.now()));
      const issuedAt = clock.t;
      expect((await f.engine.advance(run.id)).run.state).toBe('completed');
      clock.advance(48 * HOUR);
      await f.engine.tick();
      expect((await f.engine.get(run.id)).state).toBe('completed');
      const read = f.ti.t.store.read;
      expect((await listAlerts(read, {})).filter((a) => a.correlationId === run.id)).toEqual([]);

      // The key lives the 7 days asked for; a quarter of that before expiry, rotation is due.
      const expiresAt = new Date(issuedAt + 7 * 24 * HOUR).toISOString();
      const [due] = await pendingTimers(read, 'eve-metrics-key');
      expect(due).toMatchObject({ kind: 'credential.expiring', payload: { run: run.id, expiresAt } });
      expect(due!.dueAt).toBe(new Date(issuedAt + 5.25 * 24 * HOUR).toISOString());
      clock.advance(3.25 * 24 * HOUR + 1000);
      await f.restart().tick();
      const [rotation] = (await listAlerts(read, {})).filter((a) => a.kind === 'credential.rotation_due');
      expect(rotation).toMatchObject({
        subject: { kind: 'identity', id: 'eve-metrics-key' },
        correlationId: run.id,
      });
      // The key's owners (the inventory holds it since its run completed), the workflow's platform
      // and control owners, and the requester.
      expect(rotation!.notify).toEqual([
        'person:bob',
        'person:paula',
        'person:pat',
        'person:carol',
        'person:eve',
      ]);
    });

    it('an exception waives one control until a date, reminds before expiry, then a remediation run closes it', async () => {
      const clock = new Clock();
      f = await createEngine(kind, { now: clock.now });
      // The token exists on the issuer: the CI pipeline created it.
      const created = await f.engine.file({
        request: {
          principal: 'service:ci-pipeline',
          action: 'create',
          resource: {
            new: { name: 'payments-api-token', kind: 'token', system: 'tokens', tags: ['service:payments'] },
          },
          context: { durationMinutes: 60, justification: 'deploy' },
        },
        requester: 'service:ci-pipeline',
        justification: 'deploy',
        idempotencyKey: 'exc-0',
      });
      expect((await f.engine.advance(created.id)).run.state).toBe('completed');

      // Without a compensating control the workflow refuses the exception.
      const bare = await f.engine.file({
        request: { ...EXCEPTION, context: { ...EXCEPTION.context, compensatingControl: ' ' } },
        requester: 'person:eve',
        justification: 'vendor freeze',
        idempotencyKey: 'exc-bare',
      });
      const refused = (await f.engine.advance(bare.id)).run;
      expect([refused.state, refused.reason]).toEqual([
        'denied',
        'this workflow requires a compensating control (context.compensatingControl)',
      ]);

      const filed = await f.engine.file({
        request: EXCEPTION,
        requester: 'person:eve',
        justification: 'vendor freeze',
        idempotencyKey: 'exc-1',
      });
      const { run } = await f.engine.advance(filed.id);
      expect(run.state).toBe('awaiting_approval');
      const sam = generateApproverKey('person:sam');
      await f.engine.registerApproverKey(sam.principal, sam.publicKey);
      // A high-risk approval needs a rationale.
      await expect(
        f.engine.approve(run.id, sign(sam, run, 'approve', '', clock.now())),
      ).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
      await f.engine.approve(run.id, sign(sam, run, 'approve', 'egress binding compensates', clock.now()));
      const done = await f.engine.advance(run.id);
      expect(done.run.state).toBe('completed');
      const [grant] = await f.engine.grants({ identity: 'payments-api-token' });
      expect(grant).toMatchObject({
        kind: 'exception',
        state: 'active',
        runId: run.id,
        details: { control: 'rotation-30d', compensatingControl: EXCEPTION.context.compensatingControl },
        expiresAt: new Date(clock.t + 7 * 24 * HOUR).toISOString(),
      });

      // A quarter of the duration before expiry (1.75 days), the requester and control owner hear of it.
      clock.advance(5.25 * 24 * HOUR + 1000);
      await f.restart().tick();
      const read = f.ti.t.store.read;
      expect((await listAlerts(read, {})).map((a) => a.kind)).toContain('exception.expiring');
      expect((await f.engine.grant(grant!.id)).state).toBe('active');

      // At expiry, without re-approval, the workflow's remediation (rotate) runs and closes it.
      clock.advance(2 * 24 * HOUR);
      const fired = await f.restart().tick();
      expect(fired.runs).toHaveLength(1);
      const remediation = await f.engine.get(fired.runs[0]!);
      expect(remediation).toMatchObject({
        state: 'completed',
        requester: 'custos',
        origin: { kind: 'remediates', grant: grant!.id, run: run.id },
        request: { action: 'rotate', resource: { identity: 'payments-api-token' } },
      });
      const closed = await f.engine.grant(grant!.id);
      expect([closed.state, closed.followUpRunId]).toEqual(['remediated', remediation.id]);
      const types = (await recordsOf(f, run.id)).map((r) => r['type']);
      expect(types).toEqual(
        expect.arrayContaining(['exception.granted', 'exception.expired', 'exception.remediated']),
      );
      const remediationTypes = (await recordsOf(f, remediation.id)).map((r) => r['type']);
      expect(remediationTypes.slice(0, 2)).toEqual(['run.requested', 'run.decided_auto']);
      expect(remediationTypes).toContain('run.verified');
      await verifyLive(f.ti.t.ledger);
    });

    it('a re-approved exception supersedes the one in force, whose timers lapse', async () => {
      const clock = new Clock();
      f = await createEngine(kind, { now: clock.now });
      const sam = generateApproverKey('person:sam');
      await f.engine.registerApproverKey(sam.principal, sam.publicKey);
      const grantOnce = async (key: string): Promise<Run> => {
        const filed = await f.engine.file({
          request: EXCEPTION,
          requester: 'person:eve',
          justification: 'vendor freeze',
          idempotencyKey: key,
        });
        const { run } = await f.engine.advance(filed.id);
        await f.engine.approve(run.id, sign(sam, run, 'approve', 'still compensated', clock.now()));
        return (await f.engine.advance(run.id)).run;
      };
      const first = await grantOnce('exc-a');
      clock.advance(6 * 24 * HOUR);
      const second = await grantOnce('exc-b');
      const grants = await f.engine.grants({ identity: 'payments-api-token' });
      expect(grants.map((g) => [g.runId, g.state])).toEqual([
        [first.id, 'superseded'],
        [second.id, 'active'],
      ]);
      clock.advance(2 * 24 * HOUR);
      const fired = await f.engine.tick();
      expect(fired.runs).toEqual([]);
      expect((await f.engine.grants({ state: 'active' })).map((g) => g.runId)).toEqual([second.id]);
    });
  });
}
