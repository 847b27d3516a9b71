// Rollback by compensation, reconciliation listing with paging, and userName quoting in filters,
// against the scimmy test peer.
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { apply, errorOf, steps, verify } from './scim/scim-helpers.js';
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
  await server.forget();
  await server.options({ maxResults: 200 });
});

async function group(): Promise<string> {
  const name = `Writers ${crypto.randomBytes(3).toString('hex')}`;
  await server.scim('POST', '/Groups', { displayName: name });
  return name;
}

describe('scim rollback', () => {
  it('restores group memberships from the prior state, and verify compares with it', async () => {
    t = await makeScimTarget(server);
    const [kept, added] = [await group(), await group()];
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create', { entitlements: [`group:${kept}`] }));
    const grant = s('run-2', 'grant', 'grant', { entitlements: [`group:${kept}`, `group:${added}`] });
    const prior = await t.connector.readPrior(grant.step, grant.authority);
    expect(prior).toMatchObject({
      exists: true,
      managed: true,
      groups: [{ member: true }, { member: false }],
    });
    await apply(t, grant);
    await t.connector.rollback(grant.step, grant.authority, prior);
    expect(await t.connector.readPrior(grant.step, grant.authority)).toEqual(prior);
    const checked = await verify(t, grant);
    expect(checked.ok).toBe(true);
    expect(checked.checks.map((c) => c.name)).toContain('rolled back');
    await t.connector.rollback(grant.step, grant.authority, prior); // idempotent
    expect(await t.connector.readPrior(grant.step, grant.authority)).toEqual(prior);
  });

  it('restores active after a suspend: the password works again', async () => {
    t = await makeScimTarget(server);
    const s = steps(t);
    const secret = (await apply(t, s('run-1', 'create', 'create'))).secret!.value;
    const suspend = s('run-2', 'suspend', 'suspend');
    const prior = await t.connector.readPrior(suspend.step, suspend.authority);
    await apply(t, suspend);
    expect(await t.login(secret)).toBe(false);
    await t.connector.rollback(suspend.step, suspend.authority, prior);
    expect(await t.login(secret)).toBe(true);
    expect((await verify(t, suspend)).ok).toBe(true);
  });

  it('rolls back a create by deleting the user it created; verify confirms the absence', async () => {
    t = await makeScimTarget(server);
    const create = steps(t)('run-1', 'create', 'create');
    const prior = await t.connector.readPrior(create.step, create.authority);
    expect(prior).toMatchObject({ exists: false });
    await apply(t, create);
    await t.connector.rollback(create.step, create.authority, prior);
    expect(await t.peerUser()).toBeUndefined();
    expect((await verify(t, create)).ok).toBe(true);
    // The journal went with the user: a connector that did not run the rollback cannot tell a rolled
    // back create from a user deleted behind its back, and says not ok (the engine re-runs rollback).
    expect((await verify(t, create, undefined, t.fresh())).ok).toBe(false);
  });

  it('refuses to roll back a rotation (the old password cannot be put back), changing nothing', async () => {
    t = await makeScimTarget(server);
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create'));
    const rotate = s('run-2', 'rotate', 'rotate');
    expect((await t.connector.plan(rotate.step, rotate.authority)).rollback).toBe('irreversible');
    const prior = await t.connector.readPrior(rotate.step, rotate.authority);
    const fresh = (await apply(t, rotate)).secret!.value;
    await server.forget();
    await expect(t.connector.rollback(rotate.step, rotate.authority, prior)).rejects.toMatchObject({
      code: 'CONNECTOR_REFUSED',
      retryable: false,
    });
    expect((await server.received()).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await t.login(fresh)).toBe(true);
    const bad = await errorOf(t.connector.rollback(rotate.step, rotate.authority, { exists: 'yes' }));
    expect(bad).toMatchObject({ code: 'INPUT_INVALID' });
  });
});

describe('scim listing and names', () => {
  it('lists the managed users of the system across pages, and no one else', async () => {
    await server.options({ maxResults: 2 });
    t = await makeScimTarget(server);
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const identity = {
        id: `${t.identity.id}-${i}`,
        kind: 'service_account',
        externalId: `${t.userName}.${i}`,
      };
      await apply(t, steps(t, identity)('run-1', `create-${i}`, 'create'));
      names.push(identity.externalId);
    }
    for (let i = 0; i < 2; i++)
      await server.scim('POST', '/Users', { userName: `person-${crypto.randomUUID()}` });
    await server.forget();
    const listed = await t.connector.list(t.system, t.authority(listScope(t.system)));
    expect(listed.map((a) => a.externalId).sort()).toEqual(names.sort());
    expect(listed[0]?.attributes).toMatchObject({ active: true });
    const pages = (await server.received()).map((r) => new URL(r.url, server.origin).searchParams);
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.map((p) => p.get('count'))).toEqual(pages.map(() => '2'));
    expect(pages.map((p) => Number(p.get('startIndex')))).toEqual(pages.map((_, i) => 1 + 2 * i));
    for (const name of names) {
      const { body } = await server.scim(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`,
      );
      const id = (body as { Resources: { id: string }[] }).Resources[0]!.id;
      await server.scim('DELETE', `/Users/${id}`);
    }
  });

  it('quotes the userName in filters: words like "or … pr" stay inside the value', async () => {
    const decoy = `svc reports ${crypto.randomBytes(3).toString('hex')}`;
    await server.scim('POST', '/Users', { userName: decoy });
    t = await makeScimTarget(server, { userName: `${decoy} or userName pr` });
    const create = steps(t)('run-1', 'create', 'create');
    expect((await apply(t, create)).outcome).toBe('applied');
    expect((await verify(t, create)).ok).toBe(true);
    const filters = (await server.received())
      .map((r) => new URL(r.url, server.origin).searchParams.get('filter'))
      .filter((f) => f?.startsWith('userName') === true);
    expect(filters).toContain(`userName eq "${decoy} or userName pr"`);
  });

  it('refuses a userName a filter could not carry safely, before sending anything', async () => {
    for (const userName of ['svc"x', 'svc\\x', ' svc', 'svc\n', '']) {
      t = await makeScimTarget(server, { userName });
      const create = steps(t)('run-1', 'create', 'create');
      expect(await errorOf(apply(t, create))).toMatchObject({ code: 'INPUT_INVALID', retryable: false });
      expect(await errorOf(t.connector.plan(create.step, create.authority))).toMatchObject({
        code: 'INPUT_INVALID',
      });
      expect(t.requests).toEqual([]);
      expect(await server.received()).toEqual([]);
      await t.cleanup();
      await server.forget();
    }
  });
});
