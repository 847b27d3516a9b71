import { afterAll, beforeAll, it } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { redisPresent, startRedisOrSkip, type RedisServer } from './redis/redis-server.js';
import { makeRedisTarget } from './redis/redis-target.js';

// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts). Redis users
// hold several passwords at once: the target says rotationOverlap: true, and its advance() runs the
// engine's overlap sweep (see redis-target.ts). Sessions outlive a password change on Redis:
// sessions: true makes the kit check that rotation, suspension and end_sessions close them.
let server: RedisServer | undefined;
beforeAll(async () => {
  server = await startRedisOrSkip();
});
afterAll(async () => {
  await server?.stop();
});

if (redisPresent() || process.env.CI === 'true')
  describeConnectorContract('redis', () => makeRedisTarget(server!), { sessions: true });
else it.skip('connector contract: redis (redis-server is not installed)', () => undefined);
