// Rollback of the redis connector: compensation from the prior ACL user, verified on the target.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PriorState } from '../../src/connectors/contract.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { sha256Hex } from '../../src/connectors/redis/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { redisPresent, startRedisOrSkip, type RedisServer } from './redis/redis-server.js';
import { makeRedisTarget, type RedisTarget } from './redis/redis-target.js';

let server: RedisServer;
let t: RedisTarget;
beforeAll(async () => {
  server = (await startRedisOrSkip())!;
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const prior = (s: AuthorisedStep) => t.connector.readPrior(s.step, s.authority);
async function created(params = {}): Promise<string> {
  t = await makeRedisTarget(server);
  return (await apply(stepFor(t)('run-1', 'create', 'create', params))).secret!.value;
}
/** Applies the step, rolls it back, and checks the target against the prior state read before. */
async function roundTrip(s: AuthorisedStep): Promise<PriorState> {
  const before = await prior(s);
  await apply(s);
  await t.connector.rollback(s.step, s.authority, before);
  expect(await prior(s)).toEqual(before);
  const checked = await t.connector.verify(s.step, s.authority);
  expect(checked.checks.map((c) => c.name)).toContain('rolled back');
  expect(checked.ok).toBe(true);
  return before;
}

describe.skipIf(!redisPresent() && process.env.CI !== 'true')('redis rollback', () => {
  it('undoes a grant and a revoke exactly, and the user feels it', async () => {
    await created({ entitlements: ['keys:app:*', '+get'] });
    const s = stepFor(t);
    await roundTrip(
      s('run-2', 'grant', 'grant', { entitlements: ['+@write', 'channels:ev.*', 'keys-read:r:*'] }),
    );
    await roundTrip(s('run-3', 'revoke', 'revoke', { entitlements: ['keys:app:*', '+get'] }));
    expect(await server.superuser('ACL', 'DRYRUN', t.user, 'set', 'app:1', 'x')).toMatch(
      /no permissions to run/,
    );
  });

  it('restores an ACL Redis describes in its own compacted form, with a selector added by hand', async () => {
    await created({ entitlements: ['keys:app:*'] });
    await server.superuser('ACL', 'SETUSER', t.user, '+@write', '-@dangerous', '+@read', '-@dangerous');
    await server.superuser('ACL', 'SETUSER', t.user, '(~x:* +get)');
    const before = await roundTrip(
      stepFor(t)('run-2', 'grant', 'grant', { entitlements: ['-@write', '+@hash'] }),
    );
    expect(before['selectors']).toEqual([{ keys: ['~x:*'], channels: [], commands: ['-@all', '+get'] }]);
  });

  it('undoes a rotation with an overlap: the old password alone again, no overlap left', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 });
    const before = await prior(rotate);
    const fresh = (await apply(rotate)).secret!.value;
    await t.connector.rollback(rotate.step, rotate.authority, before);
    expect(await prior(rotate)).toEqual(before);
    expect(await t.login(old)).toBe(true);
    expect(await t.login(fresh)).toBe(false);
    expect(await t.endOverlaps()).toBe(0);
    const checked = await t.connector.verify(rotate.step, rotate.authority, fresh);
    expect(checked.checks.find((c) => c.name.startsWith('real login'))).toMatchObject({ ok: true });
    expect(checked.ok).toBe(true);
  });

  it('undoes a suspension, a credential revocation and a retirement (the user comes back with its password)', async () => {
    const secret = await created({ entitlements: ['keys:app:*', '+get'] });
    const s = stepFor(t);
    await roundTrip(s('run-2', 'suspend', 'suspend'));
    await roundTrip(s('run-3', 'revoke', 'revoke'));
    await roundTrip(s('run-4', 'retire', 'retire'));
    expect(await t.login(secret)).toBe(true);
    expect(await server.superuser('ACL', 'DRYRUN', t.user, 'get', 'app:1')).toBe('OK');
  });

  it('undoes a create by deleting the user; is repeatable; refuses a prior that is not its own', async () => {
    t = await makeRedisTarget(server);
    const create = stepFor(t)('run-1', 'create', 'create');
    const before = await prior(create);
    await apply(create);
    await t.connector.rollback(create.step, create.authority, before);
    await t.connector.rollback(create.step, create.authority, before);
    expect(await server.superuser('ACL', 'GETUSER', t.user)).toBeNull();
    expect((await t.connector.verify(create.step, create.authority)).ok).toBe(true);
    const forged = { ...before, exists: true, enabled: true, credentials: [{ fingerprint: sha256Hex('x') }] };
    await apply(stepFor(t)('run-2', 'create', 'create'));
    const error: unknown = await t.connector
      .rollback(create.step, create.authority, forged)
      .catch((e: unknown) => e);
    expect(isCustosError(error, 'TARGET_STATE_MISMATCH')).toBe(true);
    const malformed: unknown = await t.connector
      .rollback(create.step, create.authority, { exists: 'yes' })
      .catch((e: unknown) => e);
    expect(isCustosError(malformed, 'INPUT_INVALID')).toBe(true);
  });
});
