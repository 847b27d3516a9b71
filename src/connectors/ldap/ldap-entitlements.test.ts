import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../core/canonical-json.js';
import { isCustosError } from '../../core/errors.js';
import type { Step } from '../contract.js';
import { groupsOf } from './ldap-entitlements.js';
import { parseParams } from './ldap-params.js';

const GROUPS = 'ou=groups,dc=example,dc=net';

function refusal(entitlements: JsonValue): unknown {
  try {
    groupsOf({ entitlements }, GROUPS);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('ldap entitlements: group cns under the groups DN only', () => {
  it('turns cns into child DNs of the groups DN, deduplicated case-insensitively', () => {
    expect(
      groupsOf({ entitlements: ['readers', 'Report Readers', 'READERS', 'app_v2.rw-1'] }, GROUPS),
    ).toEqual([
      { group: 'readers', dn: `cn=readers,${GROUPS}` },
      { group: 'Report Readers', dn: `cn=Report Readers,${GROUPS}` },
      { group: 'app_v2.rw-1', dn: `cn=app_v2.rw-1,${GROUPS}` },
    ]);
    expect(groupsOf({}, GROUPS)).toBeUndefined();
    expect(groupsOf({ entitlements: [] }, GROUPS)).toEqual([]);
  });

  it('refuses DNs, filter and wildcard text, escapes, odd spacing and non-strings with INPUT_INVALID', () => {
    for (const bad of [
      'cn=admins,ou=groups,dc=example,dc=net',
      'admins,ou=other',
      'readers)(member=*',
      '*',
      'read*',
      'a\\2cb',
      ' readers',
      'readers ',
      'two  spaces',
      'tab\there',
      '',
      'x'.repeat(65),
      42,
      null,
      ['readers'],
    ] as JsonValue[]) {
      const error = refusal([bad]);
      expect(isCustosError(error, 'INPUT_INVALID'), JSON.stringify(bad)).toBe(true);
      if (isCustosError(error) && typeof bad === 'string') {
        expect(error.message.length).toBeLessThan(300);
        expect(error.retryable).toBe(false);
      }
    }
    expect(isCustosError(refusal('readers'), 'INPUT_INVALID')).toBe(true);
    expect((refusal(['cn=admins,ou=groups']) as Error).message).toMatch(/looks like a DN/);
  });

  it('refuses unknown or malformed step parameters', () => {
    const step = (params: Record<string, JsonValue>) => ({ params }) as unknown as Step;
    expect(
      parseParams(step({ overlapSeconds: 60, ttlSeconds: 3600, kind: 'service_account' }), GROUPS),
    ).toEqual({
      groups: undefined,
      overlapSeconds: 60,
      ttlSeconds: 3600,
    });
    for (const params of [
      { overlapSecs: 60 },
      { overlapSeconds: -1 },
      { overlapSeconds: 1.5 },
      { ttlSeconds: '60' },
      { ttlSeconds: 0 },
    ]) {
      let error: unknown;
      try {
        parseParams(step(params), GROUPS);
      } catch (e) {
        error = e;
      }
      expect(isCustosError(error, 'INPUT_INVALID'), JSON.stringify(params)).toBe(true);
    }
  });
});
