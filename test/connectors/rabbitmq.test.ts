// RabbitMQ-specific behaviour of the rabbitmq connector, on a private node: what is sent, sessions,
// real logins, entitlements on the broker, rollback, scope, errors. (Crashes and concurrency:
// rabbitmq-crash.test.ts; input refused before anything is sent: rabbitmq-input.test.ts.)
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { listScope } from '../../src/connectors/authority-check.js';
import { stepFor } from '../../src/connectors/kit/kit-steps.js';
import { hashMatches, passwordHash, saltOf } from '../../src/connectors/rabbitmq/index.js';
import { isCustosError } from '../../src/core/errors.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { openSession } from './rabbitmq/amqp-session.js';
import { errorOf, rabbitFixture } from './rabbitmq/fixture.js';
import { rabbitAvailable } from './rabbitmq/rabbitmq-server.js';

describe.runIf(rabbitAvailable())('rabbitmq connector (private node)', () => {
  const f = rabbitFixture();
  const { apply, verify, created, userOnBroker } = f;

  it('sends password hashes, never the password, and the broker stores exactly that hash', async () => {
    const first = await created();
    const rotated = (await apply(stepFor(f.t)('run-2', 'rotate', 'rotate'))).secret!.value;
    const sent = JSON.stringify(f.t.requests);
    for (const secret of [first, rotated]) expect(sent).not.toContain(secret);
    const stored = (await userOnBroker())!.password_hash;
    expect(hashMatches(stored, rotated)).toBe(true);
    const puts = f.t.requests.filter((r) => r.method === 'PUT' && r.path === `/users/${f.t.user}`);
    expect(JSON.parse(puts.at(-1)!.body!)).toMatchObject({
      password_hash: stored,
      hashing_algorithm: 'rabbit_password_hashing_sha256',
    });
  });

  it('computes the same hash as RabbitMQ does from a plaintext password', async () => {
    await f.target();
    await f.server.api('PUT', `/users/${f.t.user}`, { password: 'correct horse', tags: '' });
    const stored = (await userOnBroker())!.password_hash;
    expect(passwordHash('correct horse', saltOf(stored))).toBe(stored);
    expect(hashMatches(stored, 'correct horsE')).toBe(false);
  });

  it('rotation ends a session opened before it; the old password then gets 403 ACCESS_REFUSED', async () => {
    const old = await created();
    const open = await openSession(f.t.amqp, f.t.user, old);
    const rotate = stepFor(f.t)('run-2', 'rotate', 'rotate');
    const fresh = (await apply(rotate)).secret!.value;
    await open.closedByBroker();
    expect(await f.t.loginOutcome(old)).toBe('refused');
    expect(await f.t.loginOutcome(fresh)).toBe('ok');
    const later = await openSession(f.t.amqp, f.t.user, fresh); // opened after the rotation: not a stale session
    const result = await verify(rotate, fresh);
    expect(result.checks.find((c) => c.name === 'sessions ended')).toMatchObject({ ok: true });
    expect(result.ok).toBe(true);
    await later.connection.close();
  });

  it('suspension ends open sessions and refuses new ones (max-connections = 0); enable lets it in again', async () => {
    const secret = await created();
    const open = await openSession(f.t.amqp, f.t.user, secret);
    const suspend = stepFor(f.t)('run-2', 'suspend', 'suspend');
    await apply(suspend);
    await open.closedByBroker();
    // The user still authenticates and still has its permission on '/': only the limit refuses it.
    expect(await f.t.loginOutcome(secret)).toBe('open_refused');
    expect((await f.server.api('GET', `/user-limits/${f.t.user}`)).body).toEqual([
      { user: f.t.user, value: { 'max-connections': 0 } },
    ]);
    expect((await verify(suspend)).ok).toBe(true);
    const enable = stepFor(f.t)('run-3', 'enable', 'enable');
    await apply(enable);
    expect(await f.t.loginOutcome(secret)).toBe('ok');
    expect((await verify(enable)).ok).toBe(true);
  });

  it('grants widen the connect-only access of a new user, but never replace another permission', async () => {
    const secret = await created();
    const s = stepFor(f.t);
    const read = 'vhost=/ configure= write= read=^q\\.';
    await apply(s('run-2', 'grant', 'grant', { entitlements: [read] }));
    expect((await f.server.api('GET', `/permissions/%2F/${f.t.user}`)).body).toMatchObject({ read: '^q\\.' });
    const wider = s('run-3', 'grant', 'grant', { entitlements: ['vhost=/ configure=.* write=.* read=.*'] });
    expect(isCustosError(await errorOf(apply(wider)), 'TARGET_STATE_MISMATCH')).toBe(true);
    expect((await f.server.api('GET', `/permissions/%2F/${f.t.user}`)).body).toMatchObject({ read: '^q\\.' });
    expect(await f.t.loginOutcome(secret)).toBe('ok');
  });

  it('revoking a permission ends the sessions that cached it', async () => {
    const orders = 'vhost=orders configure=^q\\. write=^(q\\.|amq\\.default$) read=^q\\.';
    const secret = await created({ entitlements: [orders] });
    const open = await openSession({ ...f.t.amqp, vhost: 'orders' }, f.t.user, secret);
    const channel = await open.connection.createChannel();
    await channel.assertQueue('q.a');
    const revoke = stepFor(f.t)('run-2', 'revoke', 'revoke', { entitlements: [orders] });
    await apply(revoke);
    await open.closedByBroker();
    expect(await f.t.loginOutcome(secret, 'orders')).toBe('open_refused'); // no access to the vhost
    expect(await f.t.loginOutcome(secret)).toBe('ok'); // '/' is untouched
    expect((await verify(revoke)).ok).toBe(true);
  });

  it('rolls back a grant, a suspension, a retirement and a creation, each verified on the broker', async () => {
    const secret = await created();
    const s = stepFor(f.t);
    const cases = [
      [
        s('run-2', 'grant', 'grant', { entitlements: ['vhost=orders configure= write= read=^q\\.'] }),
        'orders',
        'ok',
      ],
      [s('run-3', 'suspend', 'suspend'), '/', 'open_refused'],
      [s('run-4', 'retire', 'retire'), '/', 'refused'],
    ] as const;
    for (const [step, vhost, whileApplied] of cases) {
      const prior = await f.t.connector.readPrior(step.step, step.authority);
      const before = await f.t.loginOutcome(secret, vhost);
      await apply(step);
      expect(await f.t.loginOutcome(secret, vhost)).toBe(whileApplied);
      await f.t.connector.rollback(step.step, step.authority, prior);
      expect(await f.t.loginOutcome(secret, vhost)).toBe(before); // the retired user's password works again
      expect(await f.t.connector.readPrior(step.step, step.authority)).toEqual(prior);
      expect((await verify(step)).ok).toBe(true);
    }
    const create = s('run-1', 'create', 'create');
    await f.t.connector.rollback(create.step, create.authority, {
      exists: false,
      tags: [],
      credentials: [],
      maxConnections: null,
      maxChannels: null,
      permissions: [],
    });
    expect(await userOnBroker()).toBeUndefined();
    expect((await verify(create)).ok).toBe(true);
    expect(await f.t.loginOutcome(secret)).toBe('refused');
  });

  it('records no secrets: outputs and prior states pass the ledger guard', async () => {
    await created({ entitlements: ['vhost=orders configure= write= read=.*'] });
    const s = stepFor(f.t);
    for (const [run, action] of [
      ['r2', 'rotate'],
      ['r3', 'revoke'],
      ['r4', 'suspend'],
      ['r5', 'retire'],
    ] as const) {
      const step = s(run, action, action);
      assertNoSecrets(await f.t.connector.readPrior(step.step, step.authority));
      assertNoSecrets((await apply(step)).outputs);
    }
  });

  it('changes only users it manages for this identity, and never the admin', async () => {
    const secret = await created();
    const admin = stepFor({ ...f.t, identity: { ...f.t.identity, externalId: f.server.adminUser } });
    const a = admin('run-2', 'suspend', 'suspend');
    expect(
      isCustosError(await errorOf(f.t.connector.apply(a.step, a.authority)), 'TARGET_STATE_MISMATCH'),
    ).toBe(true);
    expect((await f.server.api('GET', `/user-limits/${f.server.adminUser}`)).body).toEqual([]);
    const other = stepFor({ ...f.t, identity: { ...f.t.identity, id: 'someone-else' } })(
      'run-3',
      'rotate',
      'rotate',
    );
    expect(isCustosError(await errorOf(apply(other)), 'TARGET_STATE_MISMATCH')).toBe(true);
    expect(await f.t.loginOutcome(secret)).toBe('ok');
  });

  it('lists the users it manages for this system, with their suspension', async () => {
    await created();
    await apply(stepFor(f.t)('run-2', 'suspend', 'suspend'));
    await f.server.api('PUT', '/users/not-managed', { password_hash: '', tags: 'monitoring' });
    const listed = await f.t.connector.list(f.t.system, f.t.authority(listScope(f.t.system)));
    expect(listed).toEqual([
      { externalId: f.t.user, attributes: { identity: f.t.identity.id, suspended: true, tags: [] } },
    ]);
    await f.server.api('DELETE', '/users/not-managed');
  });

  it('a node that is down, slow or refuses the admin login gives a retryable CONNECTOR_UNAVAILABLE', async () => {
    await f.target();
    const create = stepFor(f.t)('run-1', 'create', 'create');
    await f.t.makeUnavailable!();
    const down = await errorOf(apply(create));
    expect(isCustosError(down, 'CONNECTOR_UNAVAILABLE') && down.retryable).toBe(true);
    const wrong = {
      ...f.t.system,
      id: `${f.t.system.id}-b`,
      connection: { ...f.t.system.connection, user: 'nobody' },
    };
    const w = stepFor({ ...f.t, system: wrong })('run-1', 'create', 'create');
    const refused = await errorOf(f.t.connector.apply(w.step, w.authority));
    expect(isCustosError(refused, 'CONNECTOR_UNAVAILABLE') && refused.retryable).toBe(true);
    const silent = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const managementUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const slow = {
      ...f.t.system,
      id: `${f.t.system.id}-c`,
      connection: { ...f.t.system.connection, managementUrl, timeoutMs: 300 },
    };
    const sl = stepFor({ ...f.t, system: slow })('run-1', 'create', 'create');
    const timedOut = await errorOf(f.t.connector.apply(sl.step, sl.authority));
    silent.close();
    expect(isCustosError(timedOut, 'CONNECTOR_UNAVAILABLE') && timedOut.retryable).toBe(true);
    for (const e of [down, refused, timedOut]) {
      expect(JSON.stringify(e) + String(e)).not.toContain(f.server.adminPassword);
    }
  });
});
