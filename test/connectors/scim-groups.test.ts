// Entitlements as SCIM group membership: grammar, PATCH on /Groups with If-Match, the pending
// journal entry that survives a crash, and retirement — against the scimmy test peer.
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOS_EXTENSION } from '../../src/connectors/scim/index.js';
import { apply, calls, errorOf, steps, verify } from './scim/scim-helpers.js';
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
  await server.options({ etag: true });
});

async function group(): Promise<{ id: string; name: string }> {
  const name = `Readers ${crypto.randomBytes(3).toString('hex')}`;
  const res = await server.scim('POST', '/Groups', { displayName: name });
  return { id: (res.body as { id: string }).id, name };
}

async function members(g: { id: string }): Promise<string[]> {
  const { body } = await server.scim('GET', `/Groups/${g.id}`);
  return ((body as { members?: { display: string }[] }).members ?? []).map((m) => m.display);
}

async function pendingEntries(): Promise<number> {
  const journal = ((await t.peerUser())?.[CUSTOS_EXTENSION] as { journal: string }).journal;
  return (JSON.parse(journal) as { steps: { pending?: true }[] }).steps.filter((e) => e.pending === true)
    .length;
}

describe('scim group entitlements', () => {
  it('grants and revokes membership; a repeat changes nothing', async () => {
    t = await makeScimTarget(server);
    const [a, b] = [await group(), await group()];
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create', { entitlements: [`group:${a.name}`] }));
    expect(await members(a)).toEqual([t.userName]);
    const grant = s('run-2', 'grant', 'grant', { entitlements: [`group:${b.name}`] });
    const granted = await apply(t, grant);
    expect(granted.outputs).toEqual({ userName: t.userName, granted: [`group:${b.name}`] });
    expect(await members(b)).toEqual([t.userName]);
    expect((await verify(t, grant)).ok).toBe(true);
    await server.forget();
    expect(await apply(t, grant, t.fresh())).toEqual({
      outcome: 'already_applied',
      outputs: granted.outputs,
    });
    expect(calls(await server.received(), 'PATCH')).toEqual([]);
    const revoke = s('run-3', 'revoke', 'revoke', { entitlements: [`group:${a.name}`, `group:${b.name}`] });
    await apply(t, revoke);
    expect([...(await members(a)), ...(await members(b))]).toEqual([]);
    expect((await verify(t, revoke)).ok).toBe(true);
    expect((await verify(t, grant)).ok).toBe(false); // read back: no longer a member
  });

  it('a group that changed since it was read (412) is read again; the PATCH carries If-Match', async () => {
    t = await makeScimTarget(server);
    const g = await group();
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create'));
    await server.forget();
    await server.fault({ status: 0, count: 1, method: 'PATCH', path: '/Groups/', touch: true });
    await apply(t, s('run-2', 'grant', 'grant', { entitlements: [`group:${g.name}`] }));
    const patches = (await server.received()).filter(
      (r) => r.method === 'PATCH' && r.url.startsWith('/scim/Groups/'),
    );
    expect(patches.map((r) => r.status)).toEqual([412, 200]);
    const [first, second] = patches.map((r) => r.headers['if-match']);
    expect(first).toMatch(/^W\/"\d+"$/);
    expect(second).toMatch(/^W\/"\d+"$/);
    expect(second).not.toBe(first);
    expect(await members(g)).toEqual([t.userName]);
  });

  it('sends no If-Match to a service without ETag support', async () => {
    await server.options({ etag: false });
    t = await makeScimTarget(server);
    const g = await group();
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create', { entitlements: [`group:${g.name}`] }));
    await apply(t, s('run-2', 'suspend', 'suspend'));
    const received = await server.received();
    expect(received.filter((r) => r.method === 'PATCH').length).toBeGreaterThan(1);
    expect(received.filter((r) => r.headers['if-match'] !== undefined)).toEqual([]);
    expect(await members(g)).toEqual([t.userName]);
  });

  it('group changes cut short by a crash stay pending, and the repeat finishes them', async () => {
    t = await makeScimTarget(server);
    const [a, b] = [await group(), await group()];
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create'));
    await server.fault({ status: 0, count: 1, method: 'PATCH', path: `/Groups/${b.id}`, drop: true });
    const grant = s('run-2', 'grant', 'grant', { entitlements: [`group:${a.name}`, `group:${b.name}`] });
    expect(await errorOf(apply(t, grant))).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    expect(await pendingEntries()).toBe(1);
    const before = await verify(t, grant);
    expect(before.ok).toBe(false);
    expect(before.checks).toContainEqual(
      expect.objectContaining({ name: 'group changes complete', ok: false }),
    );
    const again = await apply(t, grant, t.fresh());
    expect(again.outcome).toBe('already_applied');
    expect([await members(a), await members(b)]).toEqual([[t.userName], [t.userName]]);
    expect(await pendingEntries()).toBe(0);
    expect((await verify(t, grant)).ok).toBe(true);
  });

  it('refuses entitlements outside the grammar before sending anything', async () => {
    t = await makeScimTarget(server);
    const s = steps(t);
    const bad = [
      'Readers',
      'group:',
      'group:a"b',
      'group:a\\b',
      'group: lead',
      'group:x\ny',
      'role:admin',
      42,
    ];
    for (const entitlement of bad) {
      const step = s('run-1', 'grant', 'grant', { entitlements: [entitlement] });
      for (const p of [t.connector.plan(step.step, step.authority), apply(t, step)]) {
        expect(await errorOf(p)).toMatchObject({ code: 'INPUT_INVALID', retryable: false });
      }
    }
    const notAList = s('run-1', 'grant', 'grant', { entitlements: 'group:Readers' });
    expect(await errorOf(apply(t, notAList))).toMatchObject({ code: 'INPUT_INVALID' });
    const none = s('run-1', 'grant', 'grant');
    expect(await errorOf(t.connector.plan(none.step, none.authority))).toMatchObject({
      code: 'INPUT_INVALID',
    });
    expect(await server.received()).toEqual([]);
  });

  it('keeps to the connection allow-list, and refuses a group the service does not have', async () => {
    const g = await group();
    t = await makeScimTarget(server, { connection: { groups: `Auditors, ${g.name.toUpperCase()}` } });
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create', { entitlements: [`group:${g.name}`] }));
    const other = s('run-2', 'grant', 'grant', { entitlements: ['group:Admins'] });
    expect(await errorOf(apply(t, other))).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false });
    const t2 = await makeScimTarget(server);
    const missing = steps(t2)('run-1', 'create', 'create', { entitlements: ['group:No Such Group'] });
    expect(await errorOf(t2.connector.readPrior(missing.step, missing.authority))).toBeUndefined();
    expect(await errorOf(apply(t2, missing))).toMatchObject({
      code: 'CONNECTOR_REFUSED',
      details: { group: 'No Such Group' },
    });
    await t2.cleanup();
  });

  it('retire deletes the user (and its memberships); a repeat is already_applied; no rollback', async () => {
    t = await makeScimTarget(server);
    const g = await group();
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create', { entitlements: [`group:${g.name}`] }));
    const retire = s('run-2', 'retire', 'retire');
    const prior = await t.connector.readPrior(retire.step, retire.authority);
    expect((await t.connector.plan(retire.step, retire.authority)).rollback).toBe('irreversible');
    expect((await apply(t, retire)).outcome).toBe('applied');
    expect(await t.peerUser()).toBeUndefined();
    expect(await members(g)).toEqual([]);
    expect((await verify(t, retire)).ok).toBe(true);
    expect(await apply(t, retire, t.fresh())).toEqual({
      outcome: 'already_applied',
      outputs: { userName: t.userName, retired: true },
    });
    await expect(t.connector.rollback(retire.step, retire.authority, prior)).rejects.toMatchObject({
      code: 'TARGET_STATE_MISMATCH',
      retryable: false,
    });
  });
});
