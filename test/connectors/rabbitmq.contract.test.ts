import { afterAll, beforeAll, describe } from 'vitest';
import { describeConnectorContract } from '../../src/connectors/kit/contract-kit.js';
import { rabbitAvailable, startRabbitServer, type RabbitServer } from './rabbitmq/rabbitmq-server.js';
import { makeRabbitTarget } from './rabbitmq/rabbitmq-target.js';

// One private RabbitMQ node for the file; each kit test gets a fresh user and system on it.
// The authority is FakeAuthority, a stand-in for src/authority (see fake-authority.ts).
describe.runIf(rabbitAvailable())('rabbitmq (private node)', () => {
  let server: RabbitServer | undefined;
  beforeAll(async () => {
    server = await startRabbitServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // RabbitMQ holds one password hash per user: its target says rotationOverlap: false, and the kit
  // then checks that an overlap is refused. Sessions outlive a password change on RabbitMQ: the kit
  // checks that rotation, suspension and end_sessions close them.
  describeConnectorContract('rabbitmq', () => makeRabbitTarget(server!), { sessions: true });
});
