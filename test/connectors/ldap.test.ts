// OpenLDAP-specific behaviour of the ldap connector, on a private slapd (see ldap/ldap-server.ts):
// what is sent, entitlements, managed entries, secrets, errors.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import { LdapConnector, sshaMatches } from '../../src/connectors/ldap/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { errorOf, helpers } from './ldap/ldap-helpers.js';
import { ldapAvailable, startLdapServer, type LdapServer } from './ldap/ldap-server.js';
import { makeLdapTarget, type LdapTarget } from './ldap/ldap-target.js';

const available = ldapAvailable();
let server: LdapServer;
let t: LdapTarget;
beforeAll(async () => {
  if (available) server = await startLdapServer();
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const { apply, verify, bind } = helpers(
  () => server,
  () => t,
);
async function created(params = {}): Promise<string> {
  t = await makeLdapTarget(server);
  return (await apply(stepFor(t)('run-1', 'create', 'create', params))).secret!.value;
}
const stored = () =>
  server.root(async (c) => {
    const { searchEntries } = await c.search(t.account, { scope: 'base', attributes: ['userPassword'] });
    const value = searchEntries[0]?.['userPassword'];
    return Array.isArray(value) ? value.map(String) : [String(value)];
  });

describe.runIf(available)('ldap connector', () => {
  it('sends {SSHA} values, never the password, and the directory stores exactly that value', async () => {
    const first = await created();
    const rotated = (await apply(stepFor(t)('run-2', 'rotate', 'rotate'))).secret!.value;
    const sent = JSON.stringify(t.operations);
    for (const secret of [first, rotated]) expect(sent).not.toContain(secret);
    const [value] = await stored();
    expect(value).toMatch(/^\{SSHA\}/);
    expect(sshaMatches(value!, rotated)).toBe(true);
    expect(sent).toContain(value);
    expect(await bind(rotated)).toBe('ok');
    expect(await bind(first)).toBe('wrong_password');
  });

  it('grants and revokes group memberships, read back on the group and memberOf; rollback restores them', async () => {
    await created({ entitlements: ['readers'] });
    const members = (group: string) =>
      server.root(async (c) => {
        const { searchEntries } = await c.search(`cn=${group},${t.groupsDn}`, {
          scope: 'base',
          attributes: ['member'],
        });
        return ([] as string[]).concat(searchEntries[0]?.['member'] as string[] | string);
      });
    expect(await members('readers')).toContain(t.account);
    const create = stepFor(t)('run-1', 'create', 'create', { entitlements: ['readers'] });
    expect((await verify(create)).checks).toContainEqual({
      name: 'member of readers',
      ok: true,
      detail: 'member',
    });
    const grant = stepFor(t)('run-2', 'grant', 'grant', { entitlements: ['writers', 'Report Readers'] });
    const prior = await t.connector.readPrior(grant.step, grant.authority);
    expect(prior['groups']).toEqual([
      { group: 'writers', member: false },
      { group: 'Report Readers', member: false },
    ]);
    await apply(grant);
    expect(await members('Report Readers')).toContain(t.account);
    expect((await verify(grant)).ok).toBe(true);
    const listed = await t.connector.list(t.system, t.authority(listScope(t.system)));
    expect(listed[0]?.attributes['memberOf']).toHaveLength(3);
    await t.connector.rollback(grant.step, grant.authority, prior);
    expect(await members('writers')).not.toContain(t.account);
    expect((await verify(grant)).ok).toBe(true);
    const revoke = stepFor(t)('run-3', 'revoke', 'revoke', { entitlements: ['readers'] });
    await apply(revoke);
    expect(await members('readers')).not.toContain(t.account);
    expect((await verify(revoke)).ok).toBe(true);
  });

  it('refuses entitlement grammar off the allow-list with INPUT_INVALID and unknown groups, writing nothing', async () => {
    t = await makeLdapTarget(server);
    const s = stepFor(t);
    for (const entitlements of [
      ['cn=admins,ou=groups,dc=custos,dc=test'],
      ['readers)(member=*'],
      ['*'],
      [' readers'],
    ]) {
      const error = await errorOf(apply(s('run-1', 'create', 'create', { entitlements })));
      expect(isCustosError(error, 'INPUT_INVALID') && !error.retryable, JSON.stringify(entitlements)).toBe(
        true,
      );
    }
    await server.root((c) =>
      c.add(`cn=not-a-group,${t.groupsDn}`, { objectClass: 'applicationProcess', cn: 'not-a-group' }),
    );
    for (const entitlements of [['absent'], ['not-a-group']]) {
      const error = await errorOf(apply(s('run-1', 'create', 'create', { entitlements })));
      expect(isCustosError(error, 'CONNECTOR_REFUSED') && !error.retryable).toBe(true);
    }
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toEqual([]);
    expect(t.operations.filter((op) => op.op === 'add' || op.op === 'modify').map((op) => op.dn)).toEqual([
      `ou=custos-journal,ou=services,${t.base}`,
    ]);
  });

  it('changes only entries it manages for this identity, and refuses names outside the grammar', async () => {
    t = await makeLdapTarget(server);
    await server.root((c) =>
      c.add(`cn=human-made,ou=services,${t.base}`, {
        objectClass: ['applicationProcess', 'simpleSecurityObject'],
        cn: 'human-made',
        userPassword: 'x',
      }),
    );
    const other = stepFor({ ...t, identity: { ...t.identity, externalId: 'human-made' } })(
      'run-1',
      'suspend',
      'suspend',
    );
    expect(
      isCustosError(await errorOf(t.connector.apply(other.step, other.authority)), 'TARGET_STATE_MISMATCH'),
    ).toBe(true);
    const bad = stepFor({ ...t, identity: { ...t.identity, externalId: 'x,ou=policies' } })(
      'run-1',
      'create',
      'create',
    );
    expect(isCustosError(await errorOf(t.connector.apply(bad.step, bad.authority)), 'INPUT_INVALID')).toBe(
      true,
    );
  });

  it('records no secrets: outputs, prior states, plans and errors carry none', async () => {
    const secret = await created({ ttlSeconds: 3600 });
    const s = stepFor(t);
    for (const [run, action] of [
      ['r2', 'rotate'],
      ['r3', 'revoke'],
      ['r4', 'suspend'],
      ['r5', 'retire'],
    ] as const) {
      const step = s(run, action, action);
      assertNoSecrets(await t.connector.readPrior(step.step, step.authority));
      assertNoSecrets({ ...(await t.connector.plan(step.step, step.authority)) });
      assertNoSecrets((await apply(step)).outputs);
    }
    const again = await errorOf(apply(s('r6', 'create', 'create', { entitlements: ['absent'] })));
    expect(JSON.stringify(again) + String(again)).not.toContain(secret);
  });

  it('a target that is down, or refuses the admin bind, gives a retryable CONNECTOR_UNAVAILABLE', async () => {
    t = await makeLdapTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create');
    await t.makeUnavailable!();
    const down = await errorOf(apply(create));
    expect(isCustosError(down, 'CONNECTOR_UNAVAILABLE') && down.retryable).toBe(true);
    const wrong = {
      ...t.system,
      id: `${t.system.id}-b`,
      connection: { ...t.system.connection, url: server.url },
    };
    const connector = new LdapConnector({
      authority: { assert: () => Promise.resolve() },
      fingerprintKey: { id: 'k', key: new Uint8Array(32) },
      resolveSecret: () => 'not-the-admin-password',
      now: () => new Date(),
    });
    const refused = await errorOf(connector.apply({ ...create.step, system: wrong }, 'x'));
    expect(isCustosError(refused, 'CONNECTOR_UNAVAILABLE') && refused.retryable).toBe(true);
    expect((refused as Error).message).not.toContain('not-the-admin-password');
    expect((refused as Error).message).not.toContain(server.adminPassword);
  });
});
