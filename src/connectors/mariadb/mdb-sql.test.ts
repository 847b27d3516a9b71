import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { accountOf, accountSql, externalIdOf, quoteIdent, quoteString } from './mdb-sql.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'other';
  }
  return 'accepted';
};

describe('accounts', () => {
  it('reads user or user@host, with params.host or the default host', () => {
    expect(accountOf('svc', {}, '%')).toEqual({ user: 'svc', host: '%' });
    expect(accountOf('svc@10.0.0.%', {}, '%')).toEqual({ user: 'svc', host: '10.0.0.%' });
    expect(accountOf('svc', { host: 'app.internal' }, '%')).toEqual({ user: 'svc', host: 'app.internal' });
    expect(accountOf('svc', {}, 'localhost')).toEqual({ user: 'svc', host: 'localhost' });
    expect(accountOf('svc@10.0.0.0/255.255.255.0', {}, '%').host).toBe('10.0.0.0/255.255.255.0');
    expect(externalIdOf({ user: 'svc', host: '%' }, '%')).toBe('svc');
    expect(externalIdOf({ user: 'svc', host: '127.0.0.1' }, '%')).toBe('svc@127.0.0.1');
  });

  it('refuses server accounts, odd names and contradicting hosts with INPUT_INVALID', () => {
    for (const [id, params] of [
      ['root', {}],
      ['mariadb.sys', {}],
      ['Svc', {}],
      ["svc'", {}],
      ['svc`', {}],
      ['svc\\', {}],
      ['a'.repeat(81), {}],
      ['svc@', {}],
      ["svc@%'", {}],
      ['svc@HOST', {}],
      ['svc@10.0.0.1', { host: '%' }],
      ['svc', { host: 7 }],
    ] as const) {
      expect(
        codeOf(() => accountOf(id, params, '%')),
        id,
      ).toBe('INPUT_INVALID');
    }
  });
});

describe('quoting', () => {
  it('doubles quotes and backticks, and refuses backslashes and NUL', () => {
    expect(quoteString("it's")).toBe("'it''s'");
    expect(quoteIdent('a`b')).toBe('`a``b`');
    expect(accountSql({ user: 'svc', host: '%' })).toBe("'svc'@'%'");
    expect(() => quoteString('a\\b')).toThrow(TypeError);
    expect(() => quoteString('a\0b')).toThrow(TypeError);
    expect(() => quoteIdent('')).toThrow(TypeError);
  });
});
