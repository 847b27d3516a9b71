// Bad input to the rabbitmq connector is refused before a single request is sent: no server is
// needed to show it (the system points at a closed port, and the request log stays empty).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/connectors/authority-check.js';
import type { Step, StepAction, TargetSystem } from '../../src/connectors/contract.js';
import { RabbitmqConnector, type SentRequest } from '../../src/connectors/rabbitmq/index.js';
import type { JsonValue } from '../../src/core/canonical-json.js';
import { isCustosError } from '../../src/core/errors.js';
import { fingerprintKeyFrom } from '../../src/ledger/secrets.js';
import { freePort } from '../harness/free-port.js';
import { FakeAuthority } from './fake-authority.js';

const ADMIN_PASSWORD = 'hunter2-admin-password';
const closed = await freePort(); // nothing listens there
const connection = {
  managementUrl: `http://127.0.0.1:${closed}`,
  user: 'custos-admin',
  password: 'env:RABBITMQ_ADMIN',
  amqpUrl: `amqp://127.0.0.1:${closed}/%2F`,
};

function target(conn: Record<string, JsonValue> = connection, externalId = 'svc-orders') {
  const authority = new FakeAuthority();
  const requests: SentRequest[] = [];
  const connector = new RabbitmqConnector({
    authority,
    fingerprintKey: fingerprintKeyFrom(crypto.randomBytes(32)),
    resolveSecret: () => ADMIN_PASSWORD,
    now: () => new Date(),
    onRequest: (r) => requests.push(r),
  });
  const system: TargetSystem = { id: 'mq', type: 'rabbitmq', environment: 'test', connection: conn };
  const identity = { id: 'orders', kind: 'service_account', externalId };
  const s = (runId: string, stepId: string, action: StepAction, params: Record<string, JsonValue> = {}) => {
    const step: Step = { runId, stepId, action, system, identity, params };
    return { step, authority: authority.mint(scopeOf(step)) };
  };
  return { connector, requests, s };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; retryable: boolean; message: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCustosError(error)) throw new Error(`expected a CustosError, got ${String(error)}`);
  return { code: error.code, retryable: error.retryable, message: error.message };
}

describe('rabbitmq connector: input refused before anything is sent', () => {
  it.each([
    ['a pattern that backtracks catastrophically', ['vhost=/ configure=(a+)+$ write= read=']],
    ['a lookahead', ['vhost=/ configure=(?=x) write= read=']],
    ['a backreference', ['vhost=/ configure=(a)\\1 write= read=']],
    ['a counted repetition', ['vhost=/ configure=a{1,1000} write= read=']],
    ['a character-type escape', ['vhost=/ configure=\\d+ write= read=']],
    ['an unbalanced group', ['vhost=/ configure=(a write= read=']],
    ['a pattern of 129 characters', [`vhost=/ configure=${'a'.repeat(129)} write= read=`]],
    ['a trailing field', ['vhost=/ configure=.* write=.* read=.* tags=administrator']],
    ['fields out of order', ['vhost=/ read=.* write=.* configure=.*']],
    ['two spaces', ['vhost=/  configure=.* write=.* read=.*']],
    ['a vhost that is a path step', ['vhost=.. configure= write= read=']],
    ['an encoded vhost', ['vhost=%2F configure= write= read=']],
    ['a vhost-only entitlement to grant', ['vhost=/']],
    [
      'two entitlements on one vhost',
      ['vhost=/ configure= write= read=', 'vhost=/ configure=.* write= read='],
    ],
    ['a non-string entitlement', [42]],
    ['no entitlement', []],
  ])('refuses %s with INPUT_INVALID', async (_name, entitlements) => {
    const { connector, requests, s } = target();
    for (const action of ['grant', 'create'] as const) {
      if (action === 'create' && entitlements.length === 0) continue;
      const { step, authority } = s('run-1', action, action, { entitlements: entitlements as JsonValue[] });
      expect(await refusal(connector.apply(step, authority))).toMatchObject({
        code: 'INPUT_INVALID',
        retryable: false,
      });
      expect(await refusal(connector.plan(step, authority))).toMatchObject({ code: 'INPUT_INVALID' });
    }
    expect(requests).toEqual([]);
  });

  it('refuses user names that are not a closed pattern, params it does not know, and entitlements on suspend', async () => {
    for (const name of ['../users', 'svc orders', '', 'a'.repeat(129), 'svc/orders', '%2e%2e']) {
      const { connector, s } = target(connection, name);
      const { step, authority } = s('run-1', 'create', 'create');
      expect(await refusal(connector.apply(step, authority))).toMatchObject({ code: 'INPUT_INVALID' });
    }
    const { connector, requests, s } = target();
    for (const [action, params] of [
      ['create', { grants: ['x'] }],
      ['suspend', { entitlements: ['vhost=/ configure= write= read='] }],
      ['revoke', { entitlements: [] }],
      ['rotate', { overlapSeconds: -1 }],
    ] as const) {
      const { step, authority } = s('run-1', action, action, params);
      expect(await refusal(connector.apply(step, authority))).toMatchObject({ code: 'INPUT_INVALID' });
    }
    expect(requests).toEqual([]);
  });

  it('refuses what RabbitMQ cannot hold: a rotation overlap, a credential lifetime, expiry', async () => {
    const { connector, requests, s } = target();
    for (const [action, params] of [
      ['rotate', { overlapSeconds: 60 }],
      ['create', { ttlSeconds: 3600 }],
      ['expire', {}],
    ] as const) {
      const { step, authority } = s('run-1', action, action, params);
      expect(await refusal(connector.apply(step, authority))).toMatchObject({
        code: 'CONNECTOR_REFUSED',
        retryable: false,
      });
    }
    expect(requests).toEqual([]);
  });

  it('refuses connection settings with credentials in a URL, without repeating them', async () => {
    for (const conn of [
      { ...connection, managementUrl: `http://custos-admin:${ADMIN_PASSWORD}@127.0.0.1:15672` },
      { ...connection, amqpUrl: `amqp://custos-admin:${ADMIN_PASSWORD}@127.0.0.1:5672/%2F` },
      { ...connection, managementUrl: `http://127.0.0.1:15672/?password=${ADMIN_PASSWORD}` },
      { ...connection, managementUrl: 'ftp://127.0.0.1' },
      { ...connection, amqpUrl: 'amqp://127.0.0.1/a%2Fb' },
      { ...connection, password: undefined },
    ]) {
      const { connector, requests, s } = target(conn as Record<string, JsonValue>);
      const { step, authority } = s('run-1', 'create', 'create');
      const error = await refusal(connector.apply(step, authority));
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
      expect(error.message).not.toContain(ADMIN_PASSWORD);
      expect(requests).toEqual([]);
    }
  });

  it('an unreachable broker is retryable, and the error holds no credential', async () => {
    const { connector, s } = target();
    const { step, authority } = s('run-1', 'create', 'create');
    const error = await refusal(connector.apply(step, authority));
    expect(error).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    expect(error.message).toMatch(
      /^RabbitMQ unreachable during GET \/api\/global-parameters\/custos-step-\w+: ECONNREFUSED$/,
    );
    expect(error.message).not.toContain(ADMIN_PASSWORD);
  });

  it('plans a create as the requests it will send, with no hash and no secret', async () => {
    const { connector, s } = target();
    const { step, authority } = s('run-1', 'create', 'create', {
      entitlements: ['vhost=orders configure=^$ write=^orders\\. read=^orders\\.'],
    });
    const plan = await connector.plan(step, authority);
    expect(plan.rollback).toBe('compensating');
    expect(plan.effects).toEqual([
      'PUT /api/users/svc-orders (password_hash: <salted SHA-256 of a generated password>, hashing_algorithm: rabbit_password_hashing_sha256) tags: custos:mq/orders',
      'PUT /api/permissions/%2F/svc-orders (vhost=/, connect only: empty patterns)',
      'PUT /api/permissions/orders/svc-orders (vhost=orders configure=^$ write=^orders\\. read=^orders\\.)',
      expect.stringMatching(
        /^PUT \/api\/global-parameters\/custos-step-\w{40} \(the step's journal entry\)$/,
      ),
    ]);
  });
});
