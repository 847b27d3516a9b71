import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import {
  assertAccountName,
  childDn,
  escapeDnValue,
  isChildOf,
  normalizeDn,
  parseDn,
  sameDn,
} from './ldap-dn.js';

describe('RFC 4514 distinguished names', () => {
  it('parses the examples of RFC 4514 §4 it supports, and refuses the hex-encoded value', () => {
    expect(parseDn('UID=jsmith,DC=example,DC=net')).toEqual([
      { type: 'UID', value: 'jsmith' },
      { type: 'DC', value: 'example' },
      { type: 'DC', value: 'net' },
    ]);
    expect(parseDn('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net')?.[0]?.value).toBe(
      'James "Jim" Smith, III',
    );
    expect(parseDn('CN=Before\\0dAfter,DC=example,DC=net')?.[0]?.value).toBe('Before\rAfter');
    expect(parseDn('CN=Lu\\C4\\8Di\\C4\\87')?.[0]?.value).toBe('Lučić');
    expect(parseDn('1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com')).toBeUndefined();
    // Multi-valued RDNs are valid LDAP, but nothing the connector builds or accepts uses them.
    expect(parseDn('OU=Sales+CN=J.  Smith,DC=example,DC=net')).toBeUndefined();
  });

  it('escapes what RFC 4514 §2.4 requires, and = as well', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeDnValue('#lead')).toBe('\\#lead');
    expect(escapeDnValue(' both ')).toBe('\\ both\\ ');
    expect(escapeDnValue('mid#dle')).toBe('mid#dle');
    expect(escapeDnValue('nul\0')).toBe('nul\\00');
  });

  it('round-trips any value through childDn and parseDn, and never adds an RDN', () => {
    const alphabet = [
      'a',
      'Z',
      ' ',
      '#',
      ',',
      '+',
      '"',
      '\\',
      '<',
      '>',
      ';',
      '=',
      '\0',
      'é',
      '😀',
      '*',
      '(',
      ')',
    ];
    for (let i = 0; i < 2000; i++) {
      const length = 1 + crypto.randomInt(12);
      const value = Array.from({ length }, () => alphabet[crypto.randomInt(alphabet.length)]).join('');
      const parsed = parseDn(childDn('cn', value, 'ou=groups,dc=example,dc=net'));
      expect(parsed, JSON.stringify(value)).toHaveLength(4);
      expect(parsed?.[0]).toEqual({ type: 'cn', value });
    }
  });

  it('compares DNs case-insensitively and across escaping styles', () => {
    expect(sameDn('CN=Svc\\2C One,OU=Services,DC=x', 'cn=svc\\, one,ou=services,dc=x')).toBe(true);
    expect(sameDn('cn=a,dc=x', 'cn=b,dc=x')).toBe(false);
    expect(sameDn('not a dn', 'not a dn')).toBe(false);
    expect(normalizeDn('CN=A,DC=X')).toBe('cn=a,dc=x');
    expect(isChildOf('cn=g,ou=groups,dc=x', 'OU=Groups,DC=x')).toBe(true);
    expect(isChildOf('cn=g,ou=sub,ou=groups,dc=x', 'ou=groups,dc=x')).toBe(false);
    expect(isChildOf('cn=g\\,ou=groups,dc=x', 'ou=groups,dc=x')).toBe(false);
  });

  it('holds account names to the closed grammar', () => {
    for (const ok of ['svc-reports', 'svc.reports_1', 'Report Reader', 'a'])
      expect(assertAccountName(ok)).toBe(ok);
    for (const bad of [
      '',
      ' svc',
      'svc ',
      'a  b',
      'cn=x',
      'svc,ou=admins',
      'x*',
      'a\\b',
      '-svc',
      'x'.repeat(65),
    ]) {
      let error: unknown;
      try {
        assertAccountName(bad);
      } catch (e) {
        error = e;
      }
      expect(isCustosError(error, 'INPUT_INVALID'), JSON.stringify(bad)).toBe(true);
    }
  });
});
