import { describe, expect, it } from 'vitest';
import { canonicalCommands, parseGetUser, restoreRules, sha256Hex } from './redis-acl.js';

// An ACL GETUSER reply (RESP2) as Redis 7.0.15 gives it, with a selector.
const REPLY = [
  'flags',
  ['on', 'sanitize-payload'],
  'passwords',
  ['c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8'],
  'commands',
  '-@all +@string +@hash -swapdb +memory|usage -flushdb',
  'keys',
  '~app:* %R~read:*',
  'channels',
  '&ev*',
  'selectors',
  [['commands', '-@all +get', 'keys', '~x:*', 'channels', '']],
];

describe('redis ACL users', () => {
  it('parses GETUSER into a canonical form', () => {
    expect(parseGetUser(REPLY)).toEqual({
      enabled: true,
      flags: ['sanitize-payload'],
      passwords: ['c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8'],
      commands: ['-@all', '+@hash', '+@string', '-flushdb', '+memory|usage', '-swapdb'],
      keys: ['%R~read:*', '~app:*'],
      channels: ['&ev*'],
      selectors: [{ commands: ['-@all', '+get'], keys: ['~x:*'], channels: [] }],
    });
    expect(parseGetUser(null)).toBeUndefined();
  });

  it('orders command tokens by class and name, whatever order Redis listed them in', () => {
    const a = canonicalCommands('-@all +@string -sort +lolwut -client|kill +client +@hash');
    const b = canonicalCommands('-@all +@hash +@string +client -client|kill -sort +lolwut');
    expect(a).toEqual(b);
    expect(a).toEqual(['-@all', '+@hash', '+@string', '+client', '-client|kill', '+lolwut', '-sort']);
  });

  it('restores a user with one reset and every rule, selectors included', () => {
    const user = parseGetUser(REPLY)!;
    expect(restoreRules(user)).toEqual([
      'reset',
      'on',
      'sanitize-payload',
      '#c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8',
      '%R~read:*',
      '~app:*',
      'resetchannels',
      '&ev*',
      '-@all',
      '+@hash',
      '+@string',
      '-flushdb',
      '+memory|usage',
      '-swapdb',
      '(~x:* resetchannels -@all +get)',
    ]);
    expect(() => restoreRules({ ...user, flags: ['nopass'] })).toThrow(/nopass/);
  });

  it('hashes passwords as Redis does', () => {
    // echo -n pw1 | sha256sum, the hash Redis stored for `>pw1`.
    expect(sha256Hex('pw1')).toBe('c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8');
  });
});
