/**
 * The set-up every RabbitMQ test file shares: one private node for the file (beforeAll), a fresh
 * target (user and system) per test, cleaned up after it, and the calls the tests make.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ApplyResult, Connector, VerifyResult } from '../../../src/connectors/contract.js';
import { stepFor, type AuthorisedStep } from '../../../src/connectors/kit/kit-steps.js';
import type { JsonValue } from '../../../src/core/canonical-json.js';
import { startRabbitServer, type RabbitServer } from './rabbitmq-server.js';
import { makeRabbitTarget, type RabbitTarget } from './rabbitmq-target.js';

export interface RabbitFixture {
  /** The file's node (after beforeAll). */
  readonly server: RabbitServer;
  /** The current test's target (after `target()` or `created()`). */
  readonly t: RabbitTarget;
  readonly target: () => Promise<RabbitTarget>;
  /** A fresh target whose user is created (run-1/create); returns the issued password. */
  readonly created: (params?: Record<string, JsonValue>) => Promise<string>;
  readonly apply: (s: AuthorisedStep, connector?: Connector) => Promise<ApplyResult>;
  readonly verify: (s: AuthorisedStep, secret?: string) => Promise<VerifyResult>;
  /** The user as the broker holds it, or undefined. */
  readonly userOnBroker: () => Promise<{ password_hash: string; tags: string[] } | undefined>;
}

/** Registers the hooks; call inside the file's describe block. */
export function rabbitFixture(): RabbitFixture {
  let server: RabbitServer | undefined;
  let t: RabbitTarget | undefined;
  beforeAll(async () => {
    server = await startRabbitServer();
  });
  afterAll(() => server?.stop());
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  const f: RabbitFixture = {
    get server() {
      if (server === undefined) throw new TypeError('the node is not started');
      return server;
    },
    get t() {
      if (t === undefined) throw new TypeError('no target: call target() or created() first');
      return t;
    },
    target: async () => (t = await makeRabbitTarget(f.server)),
    created: async (params = {}) => {
      const target = await f.target();
      return (await f.apply(stepFor(target)('run-1', 'create', 'create', params))).secret!.value;
    },
    apply: (s, connector = f.t.connector) => connector.apply(s.step, s.authority),
    verify: (s, secret) => f.t.connector.verify(s.step, s.authority, secret),
    userOnBroker: async () => {
      const { status, body } = await f.server.api('GET', `/users/${f.t.user}`);
      return status === 404 ? undefined : (body as { password_hash: string; tags: string[] });
    },
  };
  return f;
}

export const errorOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
