import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../core/errors.js';
import { grantRules } from './redis-effects.js';
import { describeEntitlement, entitlementsOf, parseEntitlement, ruleOf } from './redis-entitlements.js';
import { changeAccess, parseKeyTokens, renderKeyTokens } from './redis-keys.js';

const refusal = (text: unknown) => {
  try {
    parseEntitlement(text as string);
  } catch (e) {
    return isCustosError(e, 'INPUT_INVALID') ? e.message : `other error: ${String(e)}`;
  }
  return 'accepted';
};

describe('redis entitlement grammar', () => {
  it('turns each form into exactly one rule', () => {
    const cases: [string, string, string][] = [
      ['keys:app:*', '~app:*', 'keys:app:*'],
      ['keys-read:reports:{tenant}:*', '%R~reports:{tenant}:*', 'keys-read:reports:{tenant}:*'],
      ['keys-write:queue/in', '%W~queue/in', 'keys-write:queue/in'],
      ['channels:events.*', '&events.*', 'channels:events.*'],
      ['+get', '+get', '+get'],
      ['+client|setname', '+client|setname', '+client|setname'],
      ['-@dangerous', '-@dangerous', '-@dangerous'],
      ['+@read', '+@read', '+@read'],
      ['-flushall', '-flushall', '-flushall'],
    ];
    for (const [text, rule, canonical] of cases) {
      const e = parseEntitlement(text);
      expect(ruleOf(e)).toBe(rule);
      expect(describeEntitlement(e)).toBe(canonical);
    }
  });

  it('refuses anything that could smuggle another ACL rule, and Custos’s own keys', () => {
    const hash = 'a'.repeat(64);
    for (const text of [
      'keys:app:* reset',
      'keys:app:*\nnopass',
      'reset',
      'nopass',
      'on',
      'allkeys',
      'allcommands',
      'allchannels',
      '>secret',
      '<secret',
      `#${hash}`,
      `!${hash}`,
      '~app:*',
      '%R~app:*',
      '&events:*',
      '(~x:* +get)',
      '+get +set',
      '+get\t',
      'keys:*',
      'channels:*',
      'keys:',
      'keys:custos:journal',
      'keys:custos:*',
      'keys:cust*',
      'keys-read:c*',
      'keys:app:[a-z]*',
      'keys:app:?',
      'keys:app:*:x',
      'keys:app\\*',
      '+@all',
      '+@admin',
      '+@dangerous',
      '+@scripting',
      '+@nosuch',
      '+get|',
      '+|get',
      '+1get',
      'toString:x',
      '+GET',
      '-@Dangerous',
      'keys:' + 'a'.repeat(200),
    ]) {
      expect(refusal(text), text).toMatch(/^entitlement /);
    }
    expect(refusal(12)).toMatch(/must be a string/);
    expect(refusal('keys:custos')).toBe('accepted'); // the exact key "custos", not the prefix
  });

  it('takes a list, deduplicates it, and refuses a non-list', () => {
    expect(entitlementsOf({})).toBeUndefined();
    expect(entitlementsOf({ entitlements: ['+get', '+get', 'keys:a:*'] })?.map(describeEntitlement)).toEqual([
      '+get',
      'keys:a:*',
    ]);
    expect(() => entitlementsOf({ entitlements: '+get' })).toThrow(/must be a list/);
  });

  it('denies the never-granted categories after any grant, and only then', () => {
    const grants = (list: string[]) => grantRules(list.map(parseEntitlement));
    expect(grants(['+@read'])).toEqual(['+@read', '-@admin', '-@dangerous', '-@scripting']);
    expect(grants(['-@write'])).toEqual(['-@write']);
  });
});

describe('redis key access', () => {
  it('merges and splits read and write access of one pattern as Redis does', () => {
    const map = parseKeyTokens(['~a:*', '%R~b:*', '%W~b:*', '%W~c']);
    expect(renderKeyTokens(map)).toEqual(['~a:*', '~b:*', '%W~c']);
    changeAccess(map, 'a:*', 'read', false);
    changeAccess(map, 'c', 'write', false);
    changeAccess(map, 'd:*', 'read', true);
    expect(renderKeyTokens(map)).toEqual(['%W~a:*', '~b:*', '%R~d:*']);
  });
});
