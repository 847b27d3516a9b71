/** A contract target: a fresh user and system on the file's private node, its API behind a proxy. */
import crypto from 'node:crypto';
import type { ContractTarget } from '../../../src/connectors/kit/contract-kit.js';
import {
  RabbitmqConnector,
  tryLogin,
  type AmqpEndpoint,
  type LoginOutcome,
  type SentRequest,
} from '../../../src/connectors/rabbitmq/index.js';
import { fingerprintKeyFrom } from '../../../src/ledger/secrets.js';
import { FakeAuthority } from '../fake-authority.js';
import { startProxy } from '../postgres/tcp-proxy.js';
import { openSession } from './amqp-session.js';
import type { RabbitServer } from './rabbitmq-server.js';

export interface RabbitTarget extends ContractTarget {
  readonly connector: RabbitmqConnector;
  readonly user: string;
  readonly amqp: AmqpEndpoint;
  /** Every management request the connector sent. */
  readonly requests: SentRequest[];
  /** A real AMQP login as the user on the system's vhost. */
  loginOutcome(secret: string, vhost?: string): Promise<LoginOutcome>;
  /** A connector instance of its own on the same system (a process restarted after a crash). */
  fresh(onRequest?: (r: SentRequest) => void): RabbitmqConnector;
  /** RabbitMQ holds one password hash per user: no rotation overlap. */
  readonly rotationOverlap: false;
}

export async function makeRabbitTarget(server: RabbitServer): Promise<RabbitTarget> {
  const suffix = crypto.randomBytes(4).toString('hex');
  const user = `svc-${suffix}`;
  const proxy = await startProxy(server.managementPort);
  const authority = new FakeAuthority();
  const requests: SentRequest[] = [];
  const fingerprintKey = fingerprintKeyFrom(crypto.randomBytes(32));
  const make = (onRequest: (r: SentRequest) => void) =>
    new RabbitmqConnector({
      authority,
      fingerprintKey,
      resolveSecret: (ref) => {
        if (ref !== 'env:RABBITMQ_ADMIN') throw new Error(`unknown secret ${ref}`);
        return server.adminPassword;
      },
      now: () => new Date(),
      onRequest,
    });
  const connector = make((r) => requests.push(r));
  const amqp: AmqpEndpoint = { protocol: 'amqp', hostname: '127.0.0.1', port: server.amqpPort, vhost: '/' };
  const systemId = `sys-${suffix}`;
  const loginOutcome = (secret: string, vhost = '/') => tryLogin({ ...amqp, vhost }, user, secret, 5000);
  let cleaned = false;
  return {
    connector,
    user,
    amqp,
    requests,
    rotationOverlap: false,
    system: {
      id: systemId,
      type: 'rabbitmq',
      environment: 'test',
      connection: {
        managementUrl: `http://127.0.0.1:${proxy.port}`,
        user: server.adminUser,
        password: 'env:RABBITMQ_ADMIN',
        amqpUrl: `amqp://127.0.0.1:${server.amqpPort}/%2F`,
        timeoutMs: 5000,
      },
    },
    identity: { id: `id-${suffix}`, kind: 'service_account', externalId: user },
    authority: (scope) => authority.mint(scope),
    login: async (secret) => (await loginOutcome(secret)) === 'ok',
    loginOutcome,
    openSession: (secret) => openSession(amqp, user, secret),
    fresh: (onRequest = () => undefined) => make(onRequest),
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    makeUnavailable: () => proxy.close(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await connector.close();
      await proxy.close();
      await server.api('DELETE', `/users/${user}`);
      await removeJournal(server, systemId);
    },
  };
}

/** Deletes the journal entries this target's system left on the node. */
async function removeJournal(server: RabbitServer, systemId: string): Promise<void> {
  const { body } = await server.api('GET', '/global-parameters');
  const entries = Array.isArray(body) ? (body as { name: string; value?: { system?: unknown } }[]) : [];
  for (const e of entries) {
    if (e.value?.system === systemId) await server.api('DELETE', `/global-parameters/${e.name}`);
  }
}
