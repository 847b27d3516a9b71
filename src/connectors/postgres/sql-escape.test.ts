import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { assertRoleName, quoteIdent, quoteLiteral } from './sql-escape.js';

const refusedCode = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'other';
  }
  return 'accepted';
};

describe('sql escaping', () => {
  it('quotes identifiers, doubling double quotes', () => {
    expect(quoteIdent('svc')).toBe('"svc"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('x"; DROP ROLE postgres; --')).toBe('"x""; DROP ROLE postgres; --"');
    expect(() => quoteIdent('')).toThrow(TypeError);
    expect(() => quoteIdent('a\0b')).toThrow(TypeError);
  });

  it('quotes literals, doubling single quotes and keeping backslashes literal', () => {
    expect(quoteLiteral('2030-01-01T00:00:00.000Z')).toBe("'2030-01-01T00:00:00.000Z'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("\\'; DROP")).toBe("'\\''; DROP'");
    expect(() => quoteLiteral('a\0')).toThrow(TypeError);
  });

  it('accepts only plain lower-case role names of at most 63 bytes, never pg_*', () => {
    for (const ok of ['svc', '_x', 'svc_reports_2', 'a'.repeat(63)]) expect(assertRoleName(ok)).toBe(ok);
    for (const bad of [
      '',
      'Svc',
      '1svc',
      'svc-x',
      'a'.repeat(64),
      'svc"x',
      "svc'x",
      'pg_monitor',
      'sv c',
      'é',
    ]) {
      expect(refusedCode(() => assertRoleName(bad))).toBe('CONNECTOR_REFUSED');
    }
  });
});
