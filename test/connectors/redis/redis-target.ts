/**
 * A contract target: a fresh ACL user name and system id on the file's private server, reached
 * through a TCP proxy (closing it makes the server unreachable), with an injected clock.
 *
 * `advance(seconds)` moves that clock and then does what the run engine's timer tick must do for a
 * redis system: call `endOverlaps`. Redis has no password expiry of its own, so the end of an overlap
 * window is this call (see src/connectors/redis/redis-overlap.ts); the connector tests also show
 * what happens when nobody makes it.
 */
import crypto from 'node:crypto';
import type { ContractTarget } from '../../../src/connectors/kit/contract-kit.js';
import { RedisConnector, overlapScope, tryLogin } from '../../../src/connectors/redis/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import { startProxy } from '../postgres/tcp-proxy.js';
import { openSession } from './redis-client.js';
import { ADMIN_USER, type RedisServer } from './redis-server.js';

export interface RedisTarget extends ContractTarget {
  readonly connector: RedisConnector;
  readonly user: string;
  /** Every admin command the connector sent, as argument vectors. */
  readonly commands: string[][];
  /** The direct (not proxied) address, for logins in tests. */
  readonly direct: { readonly host: string; readonly port: number };
  /** Moves the injected clock without the engine's tick (no endOverlaps). */
  moveClock(seconds: number): void;
  /** The engine's tick: endOverlaps with an authority for this system. */
  endOverlaps(): Promise<number>;
  readonly rotationOverlap: true;
}

export async function makeRedisTarget(server: RedisServer): Promise<RedisTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const user = `svc_${suffix}`;
  const proxy = await startProxy(server.port);
  const authority = new FakeAuthority();
  const commands: string[][] = [];
  let offset = 0;
  const connector = new RedisConnector({
    authority,
    fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
    resolveSecret: (ref) => {
      if (ref !== 'env:REDIS_ADMIN') throw new Error(`unknown secret ${ref}`);
      return server.adminPassword;
    },
    now: () => new Date(Date.now() + offset),
    onCommand: (argv) => commands.push([...argv]),
  });
  const direct = { host: '127.0.0.1', port: server.port };
  const system = {
    id: `sys-${suffix}`,
    type: 'redis',
    environment: 'test',
    connection: { host: '127.0.0.1', port: proxy.port, user: ADMIN_USER, password: 'env:REDIS_ADMIN' },
  };
  const endOverlaps = () => connector.endOverlaps(system, authority.mint(overlapScope(system)));
  let cleaned = false;
  return {
    connector,
    user,
    commands,
    direct,
    rotationOverlap: true,
    system,
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: user },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await tryLogin(direct, user, secret)) === 'ok',
    openSession: async (secret) => {
      const session = await openSession(direct, user, secret);
      return { alive: () => session.alive(), close: () => Promise.resolve(session.close()) };
    },
    moveClock: (seconds) => (offset += seconds * 1000),
    endOverlaps,
    advance: async (seconds) => {
      offset += seconds * 1000;
      await endOverlaps();
    },
    makeUnavailable: () => proxy.close(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await connector.close();
      await proxy.close();
      await server.superuser('ACL', 'DELUSER', user);
      await server.superuser('DEL', `custos:user:${user}`);
    },
  };
}
