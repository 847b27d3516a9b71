// Entitlements of the redis connector on a private redis-server: refused input changes nothing;
// accepted input takes effect for a real session of the user, and verify reads it back.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { isCustosError } from '../../src/core/errors.js';
import { openSession, type UserSession } from './redis/redis-client.js';
import { redisPresent, startRedisOrSkip, type RedisServer } from './redis/redis-server.js';
import { makeRedisTarget, type RedisTarget } from './redis/redis-target.js';

let server: RedisServer;
let t: RedisTarget;
let session: UserSession | undefined;
beforeAll(async () => {
  server = (await startRedisOrSkip())!;
});
afterAll(() => server?.stop());
afterEach(async () => {
  session?.close();
  session = undefined;
  await t?.cleanup();
});

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
/** Runs a command as the user: its reply, or the first word of its error (NOPERM, …). */
const run = async (...argv: string[]) => {
  try {
    return await session!.client.call(argv[0]!, argv.slice(1));
  } catch (error) {
    return (error as Error).message.split(' ')[0];
  }
};
async function created(entitlements: string[]): Promise<AuthorisedStep> {
  t = await makeRedisTarget(server);
  const create = stepFor(t)('run-1', 'create', 'create', { entitlements });
  const secret = (await apply(create)).secret!.value;
  session = await openSession(t.direct, t.user, secret);
  return create;
}

describe.skipIf(!redisPresent() && process.env.CI !== 'true')('redis entitlements', () => {
  it('refuses injection attempts and commands the server says are never granted, writing nothing', async () => {
    t = await makeRedisTarget(server);
    const s = stepFor(t);
    for (const entitlement of [
      'keys:app:* reset',
      'keys:app:* nopass',
      'keys:app:* >password',
      'allkeys',
      'keys:*',
      'keys:custos:journal',
      '+@all',
      '+@dangerous',
      '+flushall',
      '+keys',
      '+config',
      '+config|set',
      '+acl|setuser',
      '+eval',
      '+function|load',
      '+nosuchcommand',
      '-@nosuchcategory',
    ]) {
      const error = await errorOf(apply(s('run-1', 'create', 'create', { entitlements: [entitlement] })));
      expect(isCustosError(error, 'INPUT_INVALID') && !error.retryable, entitlement).toBe(true);
    }
    expect(await server.superuser('ACL', 'GETUSER', t.user)).toBeNull();
    expect(await server.superuser('HLEN', 'custos:journal')).toBe(0);
    expect(await t.connector.list(t.system, t.authority(listScope(t.system)))).toEqual([]);
  });

  it('grants keys, channels and commands that a real session of the user then has, and no more', async () => {
    const create = await created(['keys:app:*', 'channels:events.*', '+@read', '+set', '-@dangerous']);
    expect((await t.connector.verify(create.step, create.authority)).ok).toBe(true);
    expect(await run('SET', 'app:1', 'x')).toBe('OK');
    expect(await run('GET', 'app:1')).toBe('x');
    expect(await run('GET', 'other:1')).toBe('NOPERM');
    expect(await run('HGETALL', 'custos:journal')).toBe('NOPERM');
    expect(await run('KEYS', '*')).toBe('NOPERM');
    expect(await run('PUBLISH', 'events.a', 'm')).toBe('NOPERM');
    const grant = stepFor(t)('run-2', 'grant', 'grant', { entitlements: ['+publish'] });
    await apply(grant);
    expect((await t.connector.verify(grant.step, grant.authority)).ok).toBe(true);
    expect(await run('PUBLISH', 'events.a', 'm')).toBe(0);
    expect(await run('PUBLISH', 'other', 'm')).toBe('NOPERM');
  });

  it('a granted category never brings dangerous, admin or scripting commands along', async () => {
    await created(['keys:app:*']);
    const grant = stepFor(t)('run-2', 'grant', 'grant', { entitlements: ['+@write', '+@keyspace'] });
    await apply(grant);
    const checked = await t.connector.verify(grant.step, grant.authority);
    expect(checked.ok).toBe(true);
    expect(checked.checks.find((c) => c.name === '+@write')?.detail).toMatch(/^(\d+) of \1 /);
    expect(await run('SET', 'app:del', 'x')).toBe('OK');
    expect(await run('DEL', 'app:del')).toBe(1);
    for (const argv of [
      ['FLUSHALL'],
      ['FUNCTION', 'FLUSH'],
      ['RESTORE', 'app:2', '0', 'x'],
      ['SWAPDB', '0', '1'],
    ]) {
      expect(await run(...argv), argv.join(' ')).toBe('NOPERM');
    }
  });

  it('revokes one kind of key access, a channel and a command category, read back and felt', async () => {
    await created(['keys:app:*', 'channels:events.*', '+@read', '+@write']);
    expect(await run('SET', 'app:1', 'x')).toBe('OK');
    const revoke = stepFor(t)('run-2', 'revoke', 'revoke', {
      entitlements: ['keys-read:app:*', 'channels:events.*'],
    });
    await apply(revoke);
    expect((await t.connector.verify(revoke.step, revoke.authority)).ok).toBe(true);
    expect(await run('GET', 'app:1')).toBe('NOPERM');
    expect(await run('SET', 'app:1', 'y')).toBe('OK'); // write access stays
    expect(await run('PUBLISH', 'events.a', 'm')).toBe('NOPERM');
    const revokeRead = stepFor(t)('run-3', 'revoke', 'revoke', { entitlements: ['+@read'] });
    await apply(revokeRead);
    expect((await t.connector.verify(revokeRead.step, revokeRead.authority)).ok).toBe(true);
    expect(await run('STRLEN', 'app:1')).toBe('NOPERM');
    const deny = stepFor(t)('run-4', 'revoke', 'revoke', { entitlements: ['-@dangerous'] });
    expect(isCustosError(await errorOf(apply(deny)), 'INPUT_INVALID')).toBe(true);
  });

  it('verify notices an entitlement taken away behind its back', async () => {
    const create = await created(['keys:app:*', '+get']);
    await server.superuser('ACL', 'SETUSER', t.user, '-get');
    const checked = await t.connector.verify(create.step, create.authority);
    expect(checked.ok).toBe(false);
    expect(checked.checks.find((c) => c.name === '+get')?.ok).toBe(false);
  });
});
