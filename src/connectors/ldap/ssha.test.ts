import { describe, expect, it } from 'vitest';
import { newPassword, sshaHash, sshaMatches } from './ssha.js';

// Written by OpenLDAP's own `slappasswd -h '{SSHA}' -s 'correct horse battery staple'` (2.5.13).
const SLAPPASSWD = ['{SSHA}vCQexDXR0IWRw6JEOWHzulrhhti5CGGe', '{SSHA}Nz0xnnQcBl5vrJ8ixsEYEgk2O1N1guDt'];

describe('{SSHA} userPassword values', () => {
  it('checks values written by slappasswd', () => {
    for (const value of SLAPPASSWD) {
      expect(sshaMatches(value, 'correct horse battery staple')).toBe(true);
      expect(sshaMatches(value, 'correct horse battery stapl')).toBe(false);
    }
  });

  it('writes what slappasswd writes for the same salt', () => {
    const raw = Buffer.from(SLAPPASSWD[0]!.slice('{SSHA}'.length), 'base64');
    expect(sshaHash('correct horse battery staple', raw.subarray(20))).toBe(SLAPPASSWD[0]);
  });

  it('salts every hash, and refuses other schemes and truncated values', () => {
    const password = newPassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const a = sshaHash(password);
    expect(sshaHash(password)).not.toBe(a);
    expect(sshaMatches(a, password)).toBe(true);
    expect(sshaMatches(a.replace('{SSHA}', '{SHA}'), password)).toBe(false);
    expect(sshaMatches('{SSHA}' + Buffer.alloc(20).toString('base64'), password)).toBe(false);
    expect(sshaMatches(password, password)).toBe(false);
  });
});
