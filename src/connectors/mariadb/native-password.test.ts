import { describe, expect, it } from 'vitest';
import { NATIVE_HASH, nativeHash, newPassword } from './native-password.js';

describe('nativeHash', () => {
  // Published vectors: MySQL's PASSWORD('password') (MySQL 5.x manual, "Password Hashing") and
  // PASSWORD('pw1') as MariaDB 10.11 computed it on this machine.
  it('matches PASSWORD() of the server', () => {
    expect(nativeHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
    expect(nativeHash('pw1')).toBe('*2B602296A79E0A8784ACC5C88D92E46588CCA3C3');
  });

  it('hashes UTF-8 bytes, as the server does over a utf8mb4 connection', () => {
    // SELECT PASSWORD('pässword') on MariaDB 10.11 with --default-character-set=utf8mb4.
    expect(nativeHash('pässword')).toBe('*809D64D632EB9BAB610456B482D94C2E267965C8');
    expect(nativeHash('pässword')).toMatch(NATIVE_HASH);
  });

  it('generates distinct ASCII passwords of 32 random bytes', () => {
    const a = newPassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newPassword()).not.toBe(a);
  });
});
