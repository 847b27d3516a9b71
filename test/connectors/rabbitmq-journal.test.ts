// The rabbitmq connector's journal on a private node: a crash at each point of a step is settled by
// the next attempt (from a fresh connector) without applying twice; concurrent attempts apply once;
// verify holds the broker to what the journal recorded.
import { describe, expect, it } from 'vitest';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import type { SentRequest } from '../../src/connectors/rabbitmq/index.js';
import { crashOn, openSession } from './rabbitmq/amqp-session.js';
import { rabbitFixture } from './rabbitmq/fixture.js';
import { rabbitAvailable } from './rabbitmq/rabbitmq-server.js';

describe.runIf(rabbitAvailable())('rabbitmq connector journal (private node)', () => {
  const f = rabbitFixture();
  const { apply, verify, created, userOnBroker } = f;

  it('a crash after the effect, before its record, is settled from the journal: no second effect', async () => {
    const old = await created();
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const crashing = f.t.fresh(
      crashOn((r) => r.path.startsWith('/global-parameters/') && r.body?.includes('"applied"') === true),
    );
    await expect(apply(rotate, crashing)).rejects.toThrow('crash');
    const hash = (await userOnBroker())!.password_hash;
    const seen: SentRequest[] = [];
    const again = await apply(
      rotate,
      f.t.fresh((r) => seen.push(r)),
    );
    expect(again.outcome).toBe('already_applied');
    expect(again.secret).toBeUndefined(); // lost with the attempt: the run pauses as undelivered
    expect(again.outputs['fingerprint']).toMatch(/^hmac-sha256:/);
    expect(seen.filter((r) => r.method === 'PUT' && r.path === `/users/${f.t.user}`)).toHaveLength(1); // same hash
    expect((await userOnBroker())!.password_hash).toBe(hash);
    expect(await f.t.loginOutcome(old)).toBe('refused');
    expect((await verify(rotate)).ok).toBe(true);
    expect(await apply(rotate)).toEqual({ outcome: 'already_applied', outputs: again.outputs });
  });

  it('a crash before the sessions were ended: verify says unsettled, the next attempt ends them', async () => {
    const old = await created();
    const before = await openSession(f.t.amqp, f.t.user, old);
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const crashing = f.t.fresh(crashOn((r) => r.method === 'DELETE' && r.path.startsWith('/connections/')));
    await expect(apply(rotate, crashing)).rejects.toThrow('crash');
    expect(before.open()).toBe(true);
    expect(await verify(rotate)).toMatchObject({ ok: false, checks: [{ name: 'applied', ok: false }] });
    expect((await apply(rotate, f.t.fresh())).outcome).toBe('already_applied');
    await before.closedByBroker();
    expect((await verify(rotate)).ok).toBe(true);
  });

  it('verify notices a change made behind its back: a password reset, a withdrawn permission', async () => {
    const secret = await created({ entitlements: ['vhost=orders configure= write= read=.*'] });
    const create = stepFor(f.t)('run-1', 'create', 'create');
    expect((await verify(create, secret)).ok).toBe(true);
    await f.server.api('DELETE', `/permissions/orders/${f.t.user}`);
    const failed = (await verify(create, secret)).checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual(['permission vhost=orders configure= write= read=.*']);
    const { tags } = (await userOnBroker())!;
    await f.server.api('PUT', `/users/${f.t.user}`, { password: 'reset by hand', tags: tags.join(',') });
    const result = await verify(create, secret);
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'password hash is the one this step set',
      'permission vhost=orders configure= write= read=.*',
      'real AMQP login with the issued password',
    ]);
  });

  it('verify counts a session opened before the step ended sessions as stale', async () => {
    await created();
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(rotate)).secret!.value;
    const later = await openSession(f.t.amqp, f.t.user, fresh);
    // Move the recorded end of sessions past this session's start, as if it had survived the step.
    const { body } = await f.server.api('GET', '/global-parameters');
    const entry = (body as { name: string; value: Record<string, unknown> }[]).find(
      (p) => p.value['runId'] === 'run-2' && p.value['system'] === f.t.system.id,
    )!;
    const value = { ...entry.value, endedAt: Date.now() + 60_000 };
    await f.server.api('PUT', `/global-parameters/${entry.name}`, { name: entry.name, value });
    await expect
      .poll(async () => (await verify(rotate)).checks.find((c) => c.name === 'sessions ended'), {
        timeout: 5000,
      })
      .toMatchObject({ ok: false, detail: '1 session(s) open from before the step' });
    await later.connection.close();
  });

  it('a crash before the password reached the broker applies afresh, once', async () => {
    const old = await created();
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const crashing = f.t.fresh(crashOn((r) => r.method === 'PUT' && r.path === `/users/${f.t.user}`));
    await expect(apply(rotate, crashing)).rejects.toThrow('crash');
    expect(await f.t.loginOutcome(old)).toBe('ok'); // nothing happened
    const again = await apply(rotate, f.t.fresh());
    expect(again.outcome).toBe('applied');
    expect(await f.t.loginOutcome(again.secret!.value)).toBe('ok');
    expect(await f.t.loginOutcome(old)).toBe('refused');
    expect((await verify(rotate, again.secret!.value)).ok).toBe(true);
  });

  it('applies concurrent attempts of one (run, step) once', async () => {
    const old = await created();
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const results = await Promise.all([apply(rotate), apply(rotate), apply(rotate)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_applied', 'already_applied', 'applied']);
    const fresh = results.find((r) => r.outcome === 'applied')!.secret!.value;
    expect(await f.t.loginOutcome(fresh)).toBe('ok');
    expect(await f.t.loginOutcome(old)).toBe('refused');
  });
});
