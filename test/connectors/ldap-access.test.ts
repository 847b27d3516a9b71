// Access on a private slapd: binds told apart (wrong password, locked, expired, no account), what
// happens to connections bound before a rotation, a suspension or a retirement, and the ACLs that
// keep the journal to the admin.
import { Client, PresenceFilter } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import { isCustosError } from '../../src/core/errors.js';
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

const { apply, verify, bind, asAdmin } = helpers(
  () => server,
  () => t,
);
async function created(params = {}): Promise<string> {
  t = await makeLdapTarget(server);
  return (await apply(stepFor(t)('run-1', 'create', 'create', params))).secret!.value;
}

describe.runIf(available)('ldap connector: binds and sessions', () => {
  it('rotation: new binds with the old password fail at once; a connection bound before it is not ended (LDAP limit)', async () => {
    const old = await created();
    const before = await t.openSession(old);
    try {
      const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
      const fresh = (await apply(rotate)).secret!.value;
      expect(await bind(old)).toBe('wrong_password');
      expect((await verify(rotate, fresh)).ok).toBe(true);
      // slapd checks a password at bind time only and cannot end another client's connection:
      // what Custos documents (docs/connectors/ldap.md) and endSessions reports.
      expect(await before.alive()).toBe(true);
      const end = stepFor(t)('run-3', 'end', 'end_sessions');
      expect(await t.connector.endSessions(end.step, end.authority)).toBe(0);
    } finally {
      await before.close();
    }
  });

  it('suspend: the bind fails as "locked", open connections lose access (recommended ACL), the lock is enforced', async () => {
    const secret = await created();
    const before = await t.openSession(secret);
    try {
      expect(await before.alive()).toBe(true);
      const suspend = stepFor(t)('run-2', 'suspend', 'suspend');
      await apply(suspend);
      expect(await bind(secret)).toBe('locked');
      expect(await before.alive()).toBe(false);
      const result = await verify(suspend);
      expect(result.checks).toContainEqual(
        expect.objectContaining({ name: 'lock enforced by the password policy', ok: true }),
      );
      expect(result.ok).toBe(true);
      await apply(stepFor(t)('run-3', 'enable', 'enable'));
      expect(await bind(secret)).toBe('ok');
    } finally {
      await before.close();
    }
  });

  it('verify of a suspension fails closed when nothing says the lock is enforced', async () => {
    await created();
    const { policyDn: _, ...connection } = t.system.connection;
    const s = stepFor({ ...t, system: { ...t.system, connection } })('run-2', 'suspend', 'suspend');
    await t.connector.apply(s.step, s.authority);
    const result = await t.connector.verify(s.step, s.authority);
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => !c.ok)?.detail).toMatch(/set connection.policyDn/);
  });

  it('expire: pwdEndTime in the past, the bind fails as "expired"', async () => {
    const secret = await created({ ttlSeconds: 3600 });
    const expire = stepFor(t)('run-2', 'expire', 'expire');
    await apply(expire);
    expect(await bind(secret)).toBe('expired');
    expect((await verify(expire)).ok).toBe(true);
  });

  it('revoke without entitlements removes every password value; a rotation issues a new one', async () => {
    const secret = await created();
    const revoke = stepFor(t)('run-2', 'revoke', 'revoke');
    expect((await apply(revoke)).outputs).toMatchObject({ passwordRemoved: true });
    expect(await bind(secret)).toBe('wrong_password');
    expect((await verify(revoke)).ok).toBe(true);
    const fresh = (await apply(stepFor(t)('run-3', 'rotate', 'rotate'))).secret!.value;
    expect(await bind(fresh)).toBe('ok');
  });

  it('retire deletes the entry and every membership; connections bound before it lose access', async () => {
    const secret = await created({ entitlements: ['readers', 'writers'] });
    const before = await t.openSession(secret);
    try {
      const retire = stepFor(t)('run-2', 'retire', 'retire');
      await apply(retire);
      expect((await verify(retire)).ok).toBe(true);
      expect(await bind(secret)).toBe('no_account');
      expect(await before.alive()).toBe(false);
      const prior = { exists: true, locked: null, validUntil: null, credentials: [], groups: [] };
      const error = await errorOf(t.connector.rollback(retire.step, retire.authority, prior));
      expect(isCustosError(error, 'TARGET_STATE_MISMATCH')).toBe(true);
    } finally {
      await before.close();
    }
  });

  it('keeps the journal from every account but the admin (the recommended ACLs)', async () => {
    const secret = await created();
    await apply(stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 }));
    const journal = `ou=custos-journal,ou=services,${t.base}`;
    const own = new Client({ url: server.url, timeout: 5000 });
    try {
      await own.bind(t.account, secret); // an account that may bind during the overlap
      const seen = await own.search(journal, { scope: 'sub' }).then(
        (r) => r.searchEntries.length,
        () => 0,
      );
      expect(seen).toBe(0);
      const byAdmin = await asAdmin((ldap) =>
        ldap.search(journal, 'one', new PresenceFilter({ attribute: 'cn' }), ['cn']),
      );
      expect(byAdmin).toHaveLength(2);
    } finally {
      await own.unbind().catch(() => undefined);
    }
  });
});
