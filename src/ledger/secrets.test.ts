import { describe, expect, it } from 'vitest';
import { assertNoSecrets } from './secrets.js';

function pathOf(value: Parameters<typeof assertNoSecrets>[0]): string | undefined {
  try {
    assertNoSecrets(value);
    return undefined;
  } catch (e) {
    expect(e).toMatchObject({ code: 'RECORD_SECRET_FIELD' });
    return (e as { details: { path: string } }).details.path;
  }
}

describe('assertNoSecrets', () => {
  it('names the first field that looks like a secret, however deep', () => {
    expect(pathOf({ password: 'hunter2' })).toBe('payload.password');
    expect(pathOf({ steps: [{ ok: 1 }, { outputs: { api_key: 'x' } }] })).toBe(
      'payload.steps[1].outputs.api_key',
    );
    expect(pathOf({ a: ['ok', 'x -----BEGIN RSA PRIVATE KEY----- y'] })).toBe('payload.a[1]');
    expect(pathOf('PRIVATE+KEY+abc')).toBe('payload');
  });

  it('lets fingerprints, commitments, nulls and ordinary values through', () => {
    const clean = {
      token: 'hmac-sha256:abcd1234:mac',
      secret: 'commit:sha256:digest',
      credential: null,
      note: 'a PRIVATE matter',
      n: 3,
      list: [true, null, { kind: 'token' }],
    };
    expect(pathOf(clean)).toBeUndefined();
  });
});
