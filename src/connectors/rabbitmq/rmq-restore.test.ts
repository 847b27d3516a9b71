import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../core/canonical-json.js';
import { isCustosError } from '../../core/errors.js';
import { fingerprintKeyFrom } from '../../ledger/secrets.js';
import type { Step, StepAction } from '../contract.js';
import { passwordHash } from './rmq-hash.js';
import { priorOf } from './rmq-prior.js';
import { compensation } from './rmq-restore.js';
import type { UserState } from './rmq-user.js';

const key = fingerprintKeyFrom(crypto.randomBytes(32));
const ALG = 'rabbit_password_hashing_sha256';
const oldHash = passwordHash('old');
const newHash = passwordHash('new');
const kept = { priorHash: oldHash, priorAlgorithm: ALG };
const user: UserState = {
  hash: oldHash,
  algorithm: ALG,
  tags: ['custos:mq/orders'],
  maxConnections: null,
  maxChannels: null,
  permissions: [{ vhost: '/', configure: '', write: '', read: '' }],
};
const step = (action: StepAction, params: Record<string, JsonValue> = {}): Step => ({
  runId: 'r',
  stepId: 's',
  action,
  system: { id: 'mq', type: 'rabbitmq', environment: 'test', connection: {} },
  identity: { id: 'orders', kind: 'service_account', externalId: 'svc' },
  params,
});
const orders = { vhost: 'orders', configure: '', write: '', read: '.*' };

describe('compensation (rollback ops from the prior state)', () => {
  it('deletes a created user, and has nothing left to do once it is gone', () => {
    const prior = priorOf(undefined, key);
    expect(compensation(step('create'), prior, user, undefined, key)).toEqual([{ op: 'delete_user' }]);
    expect(compensation(step('create'), prior, undefined, undefined, key)).toEqual([]);
  });

  it('puts the replaced hash back (tags kept) and ends the new password’s sessions', () => {
    const prior = priorOf(user, key);
    const rotated = { ...user, hash: newHash };
    expect(compensation(step('rotate'), prior, rotated, kept, key)).toEqual([
      { op: 'put_user', hash: oldHash, algorithm: ALG, tags: user.tags },
      { op: 'end_sessions' },
    ]);
    expect(compensation(step('rotate'), prior, user, kept, key)).toEqual([]);
  });

  it('refuses to restore a password the journal does not hold, or a user deleted after a rotation', () => {
    const prior = priorOf(user, key);
    const thrown = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (e) {
        return e;
      }
    };
    const rotated = { ...user, hash: newHash };
    const lost = thrown(() =>
      compensation(step('rotate'), prior, rotated, { ...kept, priorHash: newHash }, key),
    );
    expect(isCustosError(lost, 'TARGET_STATE_MISMATCH')).toBe(true);
    const deleted = thrown(() => compensation(step('rotate'), prior, undefined, kept, key));
    expect(isCustosError(deleted, 'TARGET_STATE_MISMATCH')).toBe(true);
  });

  it('restores only the vhosts a grant named, not another run’s change', () => {
    const prior = priorOf(user, key);
    const now = { ...user, permissions: [{ vhost: '/', configure: '.*', write: '', read: '' }, orders] };
    const grant = step('grant', { entitlements: ['vhost=orders configure= write= read=.*'] });
    expect(compensation(grant, prior, now, kept, key)).toEqual([
      { op: 'delete_permission', vhost: 'orders' },
      { op: 'end_sessions' },
    ]);
  });

  it('lifts a suspension without ending sessions; undoing an enable suspends again and ends them', () => {
    const suspended = { ...user, maxConnections: 0 };
    expect(compensation(step('suspend'), priorOf(user, key), suspended, kept, key)).toEqual([
      { op: 'delete_limit', limit: 'max-connections' },
    ]);
    expect(compensation(step('enable'), priorOf(suspended, key), user, kept, key)).toEqual([
      { op: 'put_limit', limit: 'max-connections', value: 0 },
      { op: 'end_sessions' },
    ]);
  });

  it('recreates a retired user with its hash, tags, permissions and limits', () => {
    const prior = priorOf({ ...user, maxChannels: 5, permissions: [...user.permissions, orders] }, key);
    expect(compensation(step('retire'), prior, undefined, kept, key)).toEqual([
      { op: 'put_user', hash: oldHash, algorithm: ALG, tags: user.tags },
      { op: 'put_permission', permission: user.permissions[0] },
      { op: 'put_permission', permission: orders },
      { op: 'put_limit', limit: 'max-channels', value: 5 },
    ]);
  });
});
