// Redis-specific behaviour of the redis connector, on a private redis-server (one per file).
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor, type AuthorisedStep } from '../../src/connectors/kit/kit-steps.js';
import { RedisConnector, sha256Hex, tryLogin } from '../../src/connectors/redis/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { assertNoSecrets, fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { FakeAuthority } from './fake-authority.js';
import { openSession } from './redis/redis-client.js';
import {
  ADMIN_USER,
  redisPresent,
  startRedisOrSkip,
  startRedisServer,
  type RedisServer,
} from './redis/redis-server.js';
import { makeRedisTarget, type RedisTarget } from './redis/redis-target.js';

let server: RedisServer;
let t: RedisTarget;
beforeAll(async () => {
  server = (await startRedisOrSkip())!;
});
afterAll(() => server?.stop());
afterEach(() => t?.cleanup());

const apply = (s: AuthorisedStep) => t.connector.apply(s.step, s.authority);
const verify = (s: AuthorisedStep, secret?: string) => t.connector.verify(s.step, s.authority, secret);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const passwords = async () => {
  const reply = (await server.superuser('ACL', 'GETUSER', t.user)) as unknown[];
  return reply[reply.indexOf('passwords') + 1] as string[];
};
async function created(params = {}): Promise<string> {
  t = await makeRedisTarget(server);
  return (await apply(stepFor(t)('run-1', 'create', 'create', params))).secret!.value;
}

describe.skipIf(!redisPresent() && process.env.CI !== 'true')('redis connector', () => {
  it('sends SHA-256 hashes, never the password: in its own commands and in what the server executes', async () => {
    t = await makeRedisTarget(server);
    // An independent observer: MONITOR shows every command the server executes (ACL commands
    // excepted, and AUTH arguments redacted by Redis itself).
    await server.superuser('ACL', 'SETUSER', 'monitor-test', 'on', `#${sha256Hex('m')}`, '+monitor');
    const observer = new Redis({
      ...t.direct,
      username: 'monitor-test',
      password: 'm',
      protocol: 2,
      enableReadyCheck: false,
    });
    const monitor = await observer.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args.join(' ')));
    const create = stepFor(t)('run-1', 'create', 'create');
    const first = (await apply(create)).secret!.value;
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 30 });
    const rotated = (await apply(rotate)).secret!.value;
    expect((await verify(rotate, rotated)).ok).toBe(true); // a real AUTH with the new password
    await new Promise((r) => setTimeout(r, 50));
    monitor.disconnect();
    observer.disconnect();
    await server.superuser('ACL', 'DELUSER', 'monitor-test');
    const sent = t.commands.map((argv) => argv.join(' ')).join('\n');
    for (const secret of [first, rotated]) {
      expect(sent).not.toContain(secret);
      expect(seen.join('\n')).not.toContain(secret);
    }
    expect(seen.join('\n')).toContain('HSET custos:journal'); // the observer saw the connector's traffic
    expect(sent).toContain(`#${sha256Hex(rotated)}`);
    expect((await passwords()).sort()).toEqual([sha256Hex(first), sha256Hex(rotated)].sort());
  });

  it('rotation ends a session opened before it; the old password then gets WRONGPASS', async () => {
    const old = await created();
    const session = await openSession(t.direct, t.user, old);
    expect(await session.alive()).toBe(true);
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(rotate)).secret!.value;
    expect(await session.alive()).toBe(false);
    session.close();
    expect(await tryLogin(t.direct, t.user, old)).toBe('refused');
    expect(await tryLogin(t.direct, t.user, fresh)).toBe('ok');
    const result = await verify(rotate, fresh);
    expect(result.checks.find((c) => c.name === 'sessions ended')?.ok).toBe(true);
    expect(result.ok).toBe(true);
  });

  it('overlap: sessions end at rotation and again at the window end; without the sweep the old password stays and verify says so', async () => {
    const old = await created();
    const before = await openSession(t.direct, t.user, old);
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 60 });
    const result = await apply(rotate);
    expect(result.outputs['overlapUntil']).toEqual(expect.any(String));
    expect(await before.alive()).toBe(false);
    const during = await openSession(t.direct, t.user, old); // the window: the old password still works
    t.moveClock(61); // time passes, but nobody has called endOverlaps yet
    expect(await t.login(old)).toBe(true);
    const overdue = await verify(rotate);
    expect(overdue.ok).toBe(false);
    expect(overdue.checks.find((c) => c.name.startsWith('old password'))?.detail).toMatch(
      /endOverlaps has not run/,
    );
    expect(await t.endOverlaps()).toBe(1);
    expect(await during.alive()).toBe(false);
    expect(await t.login(old)).toBe(false);
    expect(await t.login(result.secret!.value)).toBe(true);
    expect((await verify(rotate, result.secret!.value)).ok).toBe(true);
    expect(await t.endOverlaps()).toBe(0);
    before.close();
    during.close();
  });

  it('any later step for the identity removes an ended overlap first', async () => {
    const old = await created();
    await apply(stepFor(t)('run-2', 'rotate', 'rotate', { overlapSeconds: 10 }));
    t.moveClock(11);
    expect(await t.login(old)).toBe(true);
    await apply(stepFor(t)('run-3', 'grant', 'grant', { entitlements: ['+get'] }));
    expect(await t.login(old)).toBe(false);
  });

  it('suspend ends sessions and refuses AUTH; verify logs in for real and expects WRONGPASS', async () => {
    const secret = await created();
    const session = await openSession(t.direct, t.user, secret);
    const suspend = stepFor(t)('run-2', 'suspend', 'suspend');
    await apply(suspend);
    expect(await session.alive()).toBe(false);
    session.close();
    expect(await tryLogin(t.direct, t.user, secret)).toBe('refused');
    const checked = await verify(suspend, secret);
    expect(checked.checks.find((c) => c.name.startsWith('real login'))).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^WRONGPASS/) as unknown,
    });
    expect(checked.ok).toBe(true);
    await apply(stepFor(t)('run-3', 'enable', 'enable'));
    expect(await tryLogin(t.direct, t.user, secret)).toBe('ok');
  });

  it('a crash before EXEC changes nothing; a fresh connector after a lost result answers already_applied', async () => {
    const old = await created();
    const key = fingerprintKeyFrom(crypto.randomBytes(32));
    const authority = new FakeAuthority();
    const crashing = new RedisConnector({
      authority,
      fingerprintKey: key,
      resolveSecret: () => server.adminPassword,
      now: () => new Date(),
      onCommand: (argv) => {
        if (argv[0] === 'EXEC') throw new Error('crash before EXEC');
      },
    });
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const minted = authority.mint({
      runId: 'run-2',
      action: 'rotate',
      system: t.system.id,
      identity: t.identity.id,
    });
    await expect(crashing.apply(rotate.step, minted)).rejects.toThrow();
    expect(await t.login(old)).toBe(true); // nothing ran
    const first = await apply(rotate);
    expect(first.outcome).toBe('applied');
    const revived = new RedisConnector({
      authority,
      fingerprintKey: key,
      resolveSecret: () => server.adminPassword,
      now: () => new Date(),
    });
    const again = await revived.apply(rotate.step, minted);
    expect(again).toEqual({ outcome: 'already_applied', outputs: first.outputs });
    expect(await passwords()).toEqual([sha256Hex(first.secret!.value)]);
    expect(await t.login(first.secret!.value)).toBe(true);
  });

  it('applies concurrent attempts of one (run, step) once', async () => {
    const old = await created();
    const rotate = stepFor(t)('run-2', 'rotate', 'rotate');
    const results = await Promise.all([apply(rotate), apply(rotate), apply(rotate)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_applied', 'already_applied', 'applied']);
    const fresh = results.find((r) => r.outcome === 'applied')!.secret!.value;
    expect(await passwords()).toEqual([sha256Hex(fresh)]);
    expect(await t.login(old)).toBe(false);
  });

  it('records no secrets: outputs, prior states, verify results, listings and errors', async () => {
    const secrets = [await created({ entitlements: ['keys:app:*', '+get'] })];
    const s = stepFor(t);
    const texts: string[] = [];
    for (const [run, action, params] of [
      ['r2', 'rotate', { overlapSeconds: 5 }],
      ['r3', 'revoke', {}],
      ['r4', 'suspend', {}],
      ['r5', 'retire', {}],
    ] as const) {
      const step = s(run, action, action, params);
      const prior = await t.connector.readPrior(step.step, step.authority);
      const result = await apply(step);
      if (result.secret !== undefined) secrets.push(result.secret.value);
      assertNoSecrets(prior);
      assertNoSecrets(result.outputs);
      texts.push(JSON.stringify(prior), JSON.stringify(result.outputs), JSON.stringify(await verify(step)));
    }
    texts.push(JSON.stringify(await t.connector.list(t.system, t.authority(listScope(t.system)))));
    const error = await errorOf(
      apply(s('r6', 'grant', 'grant', { entitlements: ['keys:app:* reset nopass'] })),
    );
    texts.push(String(error), JSON.stringify(error));
    const all = texts.join('\n');
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(sha256Hex(secret));
    }
  });

  it('refuses what Redis cannot do: expiry, ttlSeconds, and users it does not manage', async () => {
    await created();
    const s = stepFor(t);
    for (const step of [s('r2', 'expire', 'expire'), s('r3', 'rotate', 'rotate', { ttlSeconds: 3600 })]) {
      const error = await errorOf(apply(step));
      expect(isCustosError(error, 'CONNECTOR_REFUSED') && !error.retryable).toBe(true);
    }
    for (const externalId of ['default', ADMIN_USER, 'a b', 'x\nACL']) {
      const other = stepFor({ ...t, identity: { ...t.identity, externalId } })('r4', 'suspend', 'suspend');
      const error = await errorOf(apply(other));
      expect(isCustosError(error, 'INPUT_INVALID')).toBe(true);
    }
    await server.superuser('ACL', 'SETUSER', 'hand-made', 'on', `#${sha256Hex('x')}`);
    const foreign = stepFor({ ...t, identity: { ...t.identity, externalId: 'hand-made' } })(
      'r5',
      'suspend',
      'suspend',
    );
    expect(isCustosError(await errorOf(apply(foreign)), 'TARGET_STATE_MISMATCH')).toBe(true);
    expect(await tryLogin(t.direct, 'hand-made', 'x')).toBe('ok');
    await server.superuser('ACL', 'DELUSER', 'hand-made');
  });

  it('an unreachable server is retryable; a refused admin login is not', async () => {
    await created();
    const wrong = new RedisConnector({
      authority: { assert: () => Promise.resolve() },
      fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
      resolveSecret: () => 'not-the-password',
      now: () => new Date(),
    });
    const step = stepFor(t)('r2', 'suspend', 'suspend');
    const refused = await errorOf(wrong.apply(step.step, ''));
    expect(isCustosError(refused, 'CONNECTOR_REFUSED') && !refused.retryable).toBe(true);
    await t.makeUnavailable!();
    const down = await errorOf(apply(step));
    expect(isCustosError(down, 'CONNECTOR_UNAVAILABLE') && down.retryable).toBe(true);
  });

  it('refuses a server without an ACL file before changing anything', async () => {
    const bare = await startRedisServer({ aclFile: false });
    try {
      t = await makeRedisTarget(bare);
      const error = await errorOf(apply(stepFor(t)('run-1', 'create', 'create')));
      expect(isCustosError(error, 'CONNECTOR_REFUSED') && !error.retryable).toBe(true);
      expect((error as Error).message).toMatch(/--aclfile/);
      expect(await bare.superuser('ACL', 'GETUSER', t.user)).toBeNull();
      await t.cleanup();
    } finally {
      await bare.stop();
    }
  });

  it('lists the users it manages for this system only, with their state', async () => {
    await created({ entitlements: ['keys:app:*'] });
    await server.superuser('ACL', 'SETUSER', 'hand-made', 'on');
    const listed = await t.connector.list(t.system, t.authority(listScope(t.system)));
    await server.superuser('ACL', 'DELUSER', 'hand-made');
    expect(listed).toEqual([
      {
        externalId: t.user,
        attributes: expect.objectContaining({
          identity: t.identity.id,
          enabled: true,
          passwords: 1,
          keys: ['~app:*'],
        }) as unknown,
      },
    ]);
  });
});
