import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { entitlementsOf, parseEntitlement } from './scim-entitlements.js';
import { assertGroupName, assertResourceId, assertUserName, eqFilter, sameName } from './scim-names.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isCustosError(e) ? e.code : 'not a CustosError';
  }
};

describe('SCIM filter values (RFC 7644 §3.4.2.2: compValue strings are JSON strings)', () => {
  it.each([
    ['svc-reports', 'userName eq "svc-reports"'],
    ['svc reports or userName pr', 'userName eq "svc reports or userName pr"'],
    ['a"b', 'userName eq "a\\"b"'],
    ['a\\b', 'userName eq "a\\\\b"'],
    ['tab\there', 'userName eq "tab\\there"'],
    ['ünï', 'userName eq "ünï"'],
  ])('%j', (value, filter) => {
    expect(eqFilter('userName', value)).toBe(filter);
  });
});

describe('names sent to a SCIM service', () => {
  it('accepts printable userNames, refuses quotes, backslashes, controls and surrounding blanks', () => {
    for (const ok of [
      'svc',
      'svc.reports@example.com',
      'Svc Reports',
      "o'brien+ci",
      'ünï-bot',
      'a'.repeat(256),
    ]) {
      expect(assertUserName(ok)).toBe(ok);
    }
    for (const bad of ['', ' svc', 'svc ', 'a"b', 'a\\b', 'a\nb', 'a\u0000b', 'a\u202eb', 'a'.repeat(257)]) {
      expect(
        code(() => assertUserName(bad)),
        JSON.stringify(bad),
      ).toBe('INPUT_INVALID');
    }
  });

  it('group names follow a closed grammar', () => {
    for (const ok of ['Readers', 'app:billing/read', 'Team (EU) 2', 'a', 'x.y_z-1'])
      expect(assertGroupName(ok)).toBe(ok);
    for (const bad of ['', ' a', 'a ', 'a"b', 'a\\b', 'a\tb', '-a', 'a'.repeat(129), 'ünï']) {
      expect(
        code(() => assertGroupName(bad)),
        JSON.stringify(bad),
      ).toBe('INPUT_INVALID');
    }
  });

  it('ids from the service must stay inside a path segment and a filter', () => {
    expect(assertResourceId('2819c223-7f76-453a-919d-413861904646', 'a User')).toMatch(/^2819/);
    for (const bad of ['../Groups/x', 'a b', 'a"b', '', 7, null, 'a/b', 'a?b']) {
      expect(code(() => assertResourceId(bad, 'a User'))).toBe('TARGET_STATE_MISMATCH');
    }
  });

  it('userName and displayName compare without regard to case (caseExact=false)', () => {
    expect(sameName('Svc-Reports', 'svc-reports')).toBe(true);
    expect(sameName('svc-reports', 'svc-report')).toBe(false);
  });
});

describe('entitlement grammar', () => {
  it('parses group:<displayName>, deduplicated without regard to case', () => {
    expect(entitlementsOf({ entitlements: ['group:Readers', 'group:readers', 'group:Writers'] })).toEqual([
      'Readers',
      'Writers',
    ]);
    expect(entitlementsOf({})).toBeUndefined();
    expect(parseEntitlement('group:app:billing/read')).toBe('app:billing/read');
  });

  it('refuses anything else as INPUT_INVALID, naming it cut short', () => {
    for (const bad of ['Readers', 'GROUP:Readers', 'group:', 'group:a"b', 'role:x', 42, null, ['group:a']]) {
      expect(
        code(() => entitlementsOf({ entitlements: [bad] })),
        JSON.stringify(bad),
      ).toBe('INPUT_INVALID');
    }
    expect(code(() => entitlementsOf({ entitlements: 'group:Readers' }))).toBe('INPUT_INVALID');
    const many = Array.from({ length: 51 }, (_, i) => `group:g${i}`);
    expect(code(() => entitlementsOf({ entitlements: many }))).toBe('INPUT_INVALID');
  });

  it('keeps to an allow-list when the connection gives one', () => {
    const allowed = new Set(['readers']);
    expect(entitlementsOf({ entitlements: ['group:Readers'] }, allowed)).toEqual(['Readers']);
    expect(code(() => entitlementsOf({ entitlements: ['group:Admins'] }, allowed))).toBe('CONNECTOR_REFUSED');
  });
});
