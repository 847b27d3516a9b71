/** The entitlement grammar: what requesters and the inventory write, and what it must refuse. */
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { describeGrant, entitlementsOf, parseEntitlement } from './mdb-entitlements.js';
import { grantStatement } from './mdb-grants.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'other';
  }
  return 'accepted';
};

describe('parseEntitlement', () => {
  it('reads database- and table-level privileges, in any case, lists and ALL', () => {
    expect(parseEntitlement('SELECT ON reports.*')).toEqual([
      { privilege: 'SELECT', on: 'database', name: 'reports' },
    ]);
    expect(parseEntitlement('select, Insert ON app.orders')).toEqual([
      { privilege: 'SELECT', on: 'table', name: 'app.orders' },
      { privilege: 'INSERT', on: 'table', name: 'app.orders' },
    ]);
    expect(parseEntitlement('CREATE TEMPORARY TABLES,LOCK TABLES on app.*').map(describeGrant)).toEqual([
      'CREATE TEMPORARY TABLES ON app.*',
      'LOCK TABLES ON app.*',
    ]);
    expect(parseEntitlement('ALL PRIVILEGES ON app.orders').map((g) => g.privilege)).toContain('SHOW VIEW');
    expect(parseEntitlement('ALL ON app.*').map((g) => g.privilege)).not.toContain('GRANT OPTION');
  });

  it('deduplicates across entitlements and refuses params.grants', () => {
    expect(entitlementsOf({ entitlements: ['SELECT ON a.*', 'select on a.*'] })).toHaveLength(1);
    expect(entitlementsOf({})).toBeUndefined();
    expect(codeOf(() => entitlementsOf({ grants: ['SELECT ON a.*'] }))).toBe('INPUT_INVALID');
    expect(codeOf(() => entitlementsOf({ entitlements: 'SELECT ON a.*' }))).toBe('INPUT_INVALID');
    expect(codeOf(() => entitlementsOf({ entitlements: [42] }))).toBe('INPUT_INVALID');
  });

  it('refuses server-wide, off-list, system and injected entitlements with INPUT_INVALID', () => {
    for (const bad of [
      'SELECT ON *.*',
      'ALL ON *.*',
      'GRANT OPTION ON app.*',
      'SUPER ON app.*',
      'FILE ON app.*',
      'PROXY ON app.*',
      'EXECUTE ON app.orders',
      'SELECT ON mysql.*',
      'SELECT ON MySQL.global_priv',
      'SELECT ON custos.applied_steps',
      'SELECT ON information_schema.*',
      'SELECT ON app%.*',
      'SELECT ON `app`.*',
      "SELECT ON app.orders TO 'x'@'%'",
      'SELECT ON app.*; DROP USER root',
      'SELECT; DROP ON app.*',
      'SELECT  ON app.*',
      'SELECT ON app',
      'app_read',
      `SELECT ON ${'a'.repeat(65)}.*`,
      '',
    ]) {
      expect(
        codeOf(() => parseEntitlement(bad)),
        bad,
      ).toBe('INPUT_INVALID');
    }
  });
});

describe('grantStatement', () => {
  const account = { user: 'svc', host: '%' };
  it('escapes _ in database-level grants so that it is no wildcard, and quotes every name', () => {
    const [db] = parseEntitlement('SELECT ON my_app.*');
    expect(grantStatement('GRANT', db!, account)).toBe("GRANT SELECT ON `my\\_app`.* TO 'svc'@'%'");
    const [table] = parseEntitlement('DELETE ON my_app.orders');
    expect(grantStatement('REVOKE', table!, account)).toBe(
      "REVOKE DELETE ON `my_app`.`orders` FROM 'svc'@'%'",
    );
  });
});
