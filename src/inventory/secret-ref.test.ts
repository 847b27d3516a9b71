import { expect, it } from 'vitest';
import { isSecretName, isSecretReference } from './secret-ref.js';

it('treats names like secrets as secrets, erring on the side of caution', () => {
  for (const name of [
    'password',
    'PGPASSWORD',
    'clientSecret',
    'api_key',
    'apiKey',
    'sslkey',
    'signingKey',
    'bearer-token',
    'tokenUrl',
    'credentials',
    'pwd',
    'private_key',
    'accessKeyId',
    'authorization',
  ]) {
    expect(isSecretName(name), name).toBe(true);
  }
  for (const name of [
    'host',
    'port',
    'user',
    'database',
    'sslmode',
    'issuer',
    'audience',
    'keyspace',
    'vhost',
  ]) {
    expect(isSecretName(name), name).toBe(false);
  }
});

it('accepts only env:NAME and secret:NAME references', () => {
  for (const ref of ['env:CUSTOS_PG_PASSWORD', 'env:_X1', 'secret:tokens/signing-key', 'secret:pg.prod']) {
    expect(isSecretReference(ref), ref).toBe(true);
  }
  for (const value of [
    'hunter2',
    'env:',
    'env:1X',
    'env:A-B',
    'secret:',
    'secret:/abs',
    'ENV:X',
    ' env:X',
    'env:X ',
    42,
  ]) {
    expect(isSecretReference(value), String(value)).toBe(false);
  }
});
