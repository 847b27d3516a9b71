// SCIM-specific behaviour of the scim connector, against the scimmy test peer in its own process.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/core/errors.js';
import { CUSTOS_EXTENSION } from '../../src/connectors/scim/index.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { apply, calls, errorOf, passwordPatches, steps, verify } from './scim/scim-helpers.js';
import { startScimServer, type ScimServer } from './scim/scim-server.js';
import { makeScimTarget, type ScimTarget } from './scim/scim-target.js';

let server: ScimServer;
let t: ScimTarget;
beforeAll(async () => {
  server = await startScimServer();
});
afterAll(() => server.stop());
afterEach(async () => {
  await t.cleanup();
  await server.clearFaults();
  await server.forget();
  await server.options({ force204: false, etag: true });
});

async function created(): Promise<string> {
  t = await makeScimTarget(server);
  return (await apply(t, steps(t)('run-1', 'create', 'create'))).secret!.value;
}

describe('scim connector', () => {
  it('sends each password once, only as the password attribute of the request that sets it', async () => {
    t = await makeScimTarget(server);
    await server.forget();
    const s = steps(t);
    const create = await apply(t, s('run-1', 'create', 'create'));
    const rotate = await apply(t, s('run-2', 'rotate', 'rotate'));
    const received = await server.received();
    for (const [result, method] of [
      [create, 'POST'],
      [rotate, 'PATCH'],
    ] as const) {
      const secret = result.secret!.value;
      const carrying = received.filter((r) => JSON.stringify(r).includes(secret));
      expect(carrying.map((r) => r.method)).toEqual([method]);
      const [request] = carrying;
      expect(request!.url).not.toContain(secret);
      expect(request!.body.split(secret)).toHaveLength(2);
      const body = JSON.parse(request!.body) as Record<string, unknown>;
      const ops = (body['Operations'] ?? []) as { path?: string; value?: unknown }[];
      expect(method === 'POST' ? body['password'] : ops.find((o) => o.path === 'password')?.value).toBe(
        secret,
      );
      expect(JSON.stringify(result.outputs)).not.toContain(secret);
      assertNoSecrets(result.outputs);
    }
    const everything = JSON.stringify([t.requests, await t.peerUser()]);
    for (const result of [create, rotate]) expect(everything).not.toContain(result.secret!.value);
    expect(JSON.stringify(t.requests)).toContain('<redacted>');
    expect(
      received.every((r) => r.headers['authorization'] === `Bearer ${server.token}` || r.url === '/login'),
    ).toBe(true);
  });

  it('rotation: the old password is refused by the service, verify logs in with the new one', async () => {
    const old = await created();
    const rotate = steps(t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(t, rotate)).secret!.value;
    expect(await t.login(old)).toBe(false);
    expect(await t.login(fresh)).toBe(true);
    const checked = await verify(t, rotate, fresh);
    expect(checked.ok).toBe(true);
    expect(checked.checks).toContainEqual(
      expect.objectContaining({ name: 'real login with the issued password', ok: true }),
    );
    expect((await verify(t, rotate, old)).ok).toBe(false);
  });

  it('suspend sets active=false: the right password is then refused (403); endSessions ends none', async () => {
    const secret = await created();
    const s = steps(t);
    await apply(t, s('run-2', 'suspend', 'suspend'));
    expect((await t.peerUser())?.['active']).toBe(false);
    const res = await fetch(`${server.origin}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userName: t.userName, password: secret }),
    });
    expect(res.status).toBe(403);
    await server.forget();
    const end = s('run-2', 'end', 'end_sessions');
    expect(await t.connector.endSessions(end.step, end.authority)).toBe(0);
    expect(await server.received()).toEqual([]);
    await apply(t, s('run-3', 'enable', 'enable'));
    expect(await t.login(secret)).toBe(true);
    expect(t.connector.describe()).toMatchObject({ realLogin: false, rollback: 'compensating' });
  });

  it('a fresh connector (after a crash) answers already_applied from the journal on the user', async () => {
    t = await makeScimTarget(server);
    const s = steps(t);
    const first = await apply(t, s('run-1', 'create', 'create'));
    const rotated = await apply(t, s('run-2', 'rotate', 'rotate'));
    await server.forget();
    const restarted = t.fresh();
    const again = await apply(t, s('run-1', 'create', 'create'), restarted);
    expect(again).toEqual({ outcome: 'already_applied', outputs: first.outputs });
    const rotateAgain = await apply(t, s('run-2', 'rotate', 'rotate'), restarted);
    expect(rotateAgain).toEqual({ outcome: 'already_applied', outputs: rotated.outputs });
    expect(calls(await server.received()).filter((c) => !c.startsWith('GET'))).toEqual([]);
    expect(await t.login(rotated.secret!.value)).toBe(true);
    const journal = JSON.parse(((await t.peerUser())?.[CUSTOS_EXTENSION] as { journal: string }).journal) as {
      steps: { run: string }[];
    };
    expect(journal.steps.map((e) => e.run)).toEqual(['run-1', 'run-2']);
  });

  it('an answer lost after the service applied the change is resolved by the journal, not applied twice', async () => {
    const old = await created();
    await server.forget();
    await server.fault({ status: 0, count: 1, method: 'PATCH', path: '/Users/', drop: true });
    const rotate = steps(t)('run-2', 'rotate', 'rotate');
    const lost = await errorOf(apply(t, rotate));
    expect(isCustosError(lost) && lost.code === 'CONNECTOR_UNAVAILABLE' && lost.retryable).toBe(true);
    expect(await t.login(old)).toBe(false); // the service did apply it
    const again = await apply(t, rotate, t.fresh());
    expect(again.outcome).toBe('already_applied');
    expect(again.secret).toBeUndefined();
    expect(again.outputs['fingerprint']).toMatch(/^hmac-sha256:/);
    expect(passwordPatches(await server.received())).toHaveLength(1);
    expect((await verify(t, rotate)).ok).toBe(true);
  });

  it('a lost answer to the create POST: the repeat finds the user and its entry, no second user', async () => {
    t = await makeScimTarget(server);
    await server.fault({ status: 0, count: 1, method: 'POST', path: '/Users', drop: true });
    const create = steps(t)('run-1', 'create', 'create');
    expect(await errorOf(apply(t, create))).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    const again = await apply(t, create);
    expect(again.outcome).toBe('already_applied');
    expect(again.outputs).toMatchObject({ userName: t.userName, active: true });
    expect(calls(await server.received(), 'POST').filter((c) => c === 'POST /Users')).toHaveLength(1);
    expect((await verify(t, create)).ok).toBe(true);
  });

  it('a user changed since it was read (412) is read again; the refused password never took effect', async () => {
    const old = await created();
    await server.fault({ status: 0, count: 1, method: 'PATCH', path: '/Users/', touch: true });
    const rotated = (await apply(t, steps(t)('run-2', 'rotate', 'rotate'))).secret!.value;
    const patches = passwordPatches(await server.received());
    expect(patches.map((r) => [r.status, r.headers['if-match'] !== undefined])).toEqual([
      [412, true],
      [200, true],
    ]);
    const refused = (JSON.parse(patches[0]!.body) as { Operations: { path?: string; value: string }[] })
      .Operations;
    const first = refused.find((o) => o.path === 'password')!.value;
    expect(first).not.toBe(rotated);
    expect([await t.login(old), await t.login(first), await t.login(rotated)]).toEqual([false, false, true]);
  });

  it('accepts 204 as well as 200 for PATCH', async () => {
    const secret = await created();
    await server.options({ force204: true });
    await server.forget();
    const s = steps(t);
    const rotated = (await apply(t, s('run-2', 'rotate', 'rotate'))).secret!.value;
    await apply(t, s('run-3', 'suspend', 'suspend'));
    await apply(t, s('run-4', 'enable', 'enable'));
    const statuses = (await server.received()).filter((r) => r.method === 'PATCH').map((r) => r.status);
    expect(statuses).toEqual([204, 204, 204]);
    expect(await t.login(secret)).toBe(false);
    expect(await t.login(rotated)).toBe(true);
    expect((await verify(t, s('run-3', 'suspend', 'suspend'))).ok).toBe(false); // enabled since
    expect((await verify(t, s('run-4', 'enable', 'enable'))).ok).toBe(true);
    await server.options({ force204: false });
    await apply(t, s('run-5', 'suspend', 'suspend'));
    expect((await server.received()).filter((r) => r.method === 'PATCH').at(-1)?.status).toBe(200);
  });

  it('never changes an account Custos does not manage, even with the same userName', async () => {
    t = await makeScimTarget(server);
    const human = await server.scim('POST', '/Users', { userName: t.userName, password: 'Correct-Horse-1' });
    expect(human.status).toBe(201);
    const s = steps(t);
    for (const action of ['create', 'rotate', 'suspend', 'retire'] as const) {
      await expect(apply(t, s('run-1', action, action))).rejects.toMatchObject({
        code: 'TARGET_STATE_MISMATCH',
        retryable: false,
      });
    }
    expect(await t.login('Correct-Horse-1')).toBe(true);
    expect((await t.peerUser())?.['active']).toBe(true);
  });
});
