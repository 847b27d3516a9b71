/**
 * A rotation with an overlap window on a real Redis, through the engine: both passwords log in
 * during the window; once it has passed, the host loop's sweep removes the old one (acting with an
 * authority minted for that sweep alone) and records it; the new one keeps working.
 */
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnector, tryLogin } from '../../src/connectors/redis/index.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { sweepOverlaps } from '../../src/runs/overlap-sweep.js';
import {
  ADMIN_USER,
  redisPresent,
  startRedisOrSkip,
  type RedisServer,
} from '../connectors/redis/redis-server.js';
import { storeKinds } from '../support/stores.js';
import { createEngine, recordsOf, type EngineFixture } from './support.js';

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await startRedisOrSkip();
});
afterAll(async () => {
  await server?.stop();
});

class Clock {
  t = Date.now();
  readonly now = (): Date => new Date(this.t);
}

const run = redisPresent() || process.env.CI === 'true' ? describe : describe.skip;

run('overlap windows end on time (redis, sqlite store)', () => {
  let f: EngineFixture | undefined;
  afterEach(async () => {
    await f?.close();
  });

  it('keeps both passwords during the window, then the sweep removes the old one', async () => {
    const clock = new Clock();
    const kind = storeKinds()[0]!;
    let connector: RedisConnector | undefined;
    f = await createEngine(kind, {
      now: clock.now,
      connectors: ({ authority, now }) => {
        connector = new RedisConnector({
          authority,
          fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
          resolveSecret: () => server!.adminPassword,
          now,
        });
        return new Map([['redis', connector]]);
      },
    });
    const actor = { actor: 'person:alice' };
    await f.ti.inventory.createSystem(
      {
        id: 'redis-staging',
        type: 'redis',
        environment: 'staging',
        owner: 'group:platform',
        connection: { host: '127.0.0.1', port: server!.port, user: ADMIN_USER, password: 'env:REDIS_ADMIN' },
      },
      actor,
    );
    await f.ti.inventory.recordReconciliation('redis-staging', {
      at: clock.now().toISOString(),
      openCriticalFindings: 0,
      actor: 'person:alice',
    });
    const user = `orders_${crypto.randomBytes(3).toString('hex')}`;
    const file = (action: string, resource: object, context: object, key: string) =>
      f!.engine.file({
        request: { principal: 'person:eve', action, resource, context } as never,
        requester: 'person:eve',
        justification: 'orders cache',
        idempotencyKey: key,
      });
    const created = await f.engine.advance(
      (
        await file(
          'create',
          { new: { name: user, kind: 'service_account', system: 'redis-staging' } },
          { entitlements: ['keys:orders:*', '+get'], justification: 'orders cache' },
          'c1',
        )
      ).id,
    );
    expect(created.run.state, created.run.reason ?? '').toBe('completed');
    const old = created.secrets[0]!.value;
    const direct = { host: '127.0.0.1', port: server!.port };

    const rotated = await f.engine.advance(
      (await file('rotate', { identity: user }, { overlapSeconds: 60, justification: 'rotation' }, 'r1')).id,
    );
    expect(rotated.run.state, rotated.run.reason ?? '').toBe('completed');
    const fresh = rotated.secrets[0]!.value;
    expect(await tryLogin(direct, user, old)).toBe('ok');
    expect(await tryLogin(direct, user, fresh)).toBe('ok');

    // Within the window the sweep removes nothing. The example inventory's redis-prod is not
    // reachable from here: its failure is reported and does not stop the other systems' sweep.
    const early = await sweepOverlaps(deps(f, connector!));
    expect(early.find((s) => s.system === 'redis-staging')).toEqual({ system: 'redis-staging', removed: 0 });
    const unreachable = early.find((s) => s.system === 'redis-prod');
    expect(unreachable?.removed).toBe(0);
    expect(unreachable?.error).toMatch(/^[A-Z_]+$/);
    clock.t += 61_000;
    const swept = await sweepOverlaps(deps(f, connector!));
    expect(swept.find((s) => s.system === 'redis-staging')).toEqual({ system: 'redis-staging', removed: 1 });
    expect(await tryLogin(direct, user, old)).not.toBe('ok');
    expect(await tryLogin(direct, user, fresh)).toBe('ok');

    const rows = await f.ti.t.store.read.query<{ data: Uint8Array }>(
      'SELECT data FROM ledger_records ORDER BY idx DESC LIMIT 1',
    );
    const last = JSON.parse(Buffer.from(rows[0]!.data).toString('utf8')) as Record<string, unknown>;
    expect(last).toMatchObject({
      type: 'target.overlaps_ended',
      actor: { kind: 'non_human', id: 'executor:custos-overlap-sweep' },
      payload: { system: 'redis-staging', removed: 1 },
    });
    expect((await recordsOf(f, rotated.run.id)).map((r) => r['type'])).toContain('run.verified');
  });
});

function deps(f: EngineFixture, connector: RedisConnector) {
  return {
    ledger: f.ti.t.ledger,
    inventory: f.ti.inventory,
    connectors: new Map([['redis', connector]]),
    authority: f.issuer,
  };
}
