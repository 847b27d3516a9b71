import { describe, expect, it } from 'vitest';
import { classifyLogin } from './mdb-login.js';

describe('classifyLogin', () => {
  it('names what the server answered, by errno', () => {
    expect(classifyLogin({ ok: true })).toBe('ok');
    expect(classifyLogin({ ok: false, errno: 1045 })).toBe('wrong_password');
    // An account that does not exist: MariaDB answers 1045 or 1698 (measured: about 3 to 1).
    expect(classifyLogin({ ok: false, errno: 1698 })).toBe('wrong_password');
    expect(classifyLogin({ ok: false, errno: 4151 })).toBe('locked');
    expect(classifyLogin({ ok: false, errno: 1820 })).toBe('expired');
    expect(classifyLogin({ ok: false, errno: 1862 })).toBe('expired');
    expect(classifyLogin({ ok: false, errno: 1040 })).toBe('failed');
    expect(classifyLogin({ ok: false })).toBe('failed');
  });
});
