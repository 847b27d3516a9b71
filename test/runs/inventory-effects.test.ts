/**
 * A verified run writes what it did back to the inventory, in the transaction that records it
 * verified: a created identity can then be rotated and suspended by later requests, and the
 * inventory shows the credential (fingerprint only) and state now in force.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inventoryChange, type DoneStep } from '../../src/runs/inventory-effects.js';
import { storeKinds } from '../support/stores.js';
import { createEngine, recordsOf, type EngineFixture } from './support.js';

const IDENTITY_OWNERS = { business: 'person:bob', policy: 'person:paula', platform: 'person:pat' };
// A workflow's owners; an identity takes the business, policy and platform owners, not the control owner.
const OWNERS = { owners: { ...IDENTITY_OWNERS, control: 'person:carol' } };

function step(action: string, params: DoneStep['params'] = {}, outputs: DoneStep['outputs'] = {}): DoneStep {
  return { stepId: 's1', action, systemId: 'tokens', identityId: 'svc', params, outputs };
}

describe('inventoryChange (pure)', () => {
  const at = '2026-11-21T10:00:00.000Z';
  it('a create enters the identity with its workflow owners and the fingerprint, never a secret', () => {
    const change = inventoryChange(
      step('create', { kind: 'token', entitlements: ['b', 'a'] }, { fingerprint: 'hmac-sha256:k:m' }),
      undefined,
      OWNERS,
      at,
    );
    expect(change).toEqual({
      mode: 'create',
      input: {
        id: 'svc',
        kind: 'token',
        system: 'tokens',
        externalId: 'svc',
        state: 'active',
        owners: IDENTITY_OWNERS,
        credentials: [{ fingerprint: 'hmac-sha256:k:m', issuedAt: at }],
        entitlements: ['b', 'a'],
        riskTier: 'medium',
      },
    });
  });

  it('grants and revocations change entitlements; revoke without entitlements drops the credentials', () => {
    const current = { entitlements: ['read', 'write'] } as never;
    expect(inventoryChange(step('grant', { entitlements: ['admin'] }), current, OWNERS, at)?.input).toEqual({
      id: 'svc',
      entitlements: ['admin', 'read', 'write'],
    });
    expect(inventoryChange(step('revoke', { entitlements: ['write'] }), current, OWNERS, at)?.input).toEqual({
      id: 'svc',
      entitlements: ['read'],
    });
    expect(inventoryChange(step('revoke'), current, OWNERS, at)?.input).toEqual({
      id: 'svc',
      credentials: [],
    });
  });

  it('lifecycle actions move the state; a create of an existing identity changes nothing', () => {
    expect(inventoryChange(step('suspend'), undefined, OWNERS, at)?.input).toEqual({
      id: 'svc',
      state: 'suspended',
    });
    expect(inventoryChange(step('enable'), undefined, OWNERS, at)?.input).toEqual({
      id: 'svc',
      state: 'active',
    });
    expect(inventoryChange(step('create', { kind: 'token' }), {} as never, OWNERS, at)).toBeUndefined();
    expect(inventoryChange(step('rotate'), undefined, OWNERS, at)).toBeUndefined();
  });
});

for (const kind of storeKinds()) {
  describe(`inventory write-back on ${kind.name}`, () => {
    let f: EngineFixture;
    afterEach(async () => {
      await f.close();
    });

    it('a created token identity is in the inventory and a later request rotates it', async () => {
      f = await createEngine(kind);
      const filed = await f.engine.file({
        request: {
          principal: 'service:ci-pipeline',
          action: 'create',
          resource: {
            new: { name: 'orders-deploy', kind: 'token', system: 'tokens', tags: ['service:payments'] },
          },
          context: { durationMinutes: 60 },
        },
        requester: 'service:ci-pipeline',
        justification: 'deploy orders',
        idempotencyKey: 'orders-1',
      });
      const created = await f.engine.advance(filed.id);
      expect(created.run.state).toBe('completed');
      const identity = await f.ti.inventory.getIdentity('orders-deploy');
      expect(identity).toMatchObject({
        kind: 'token',
        system: 'tokens',
        state: 'active',
        riskTier: 'low',
        owners: { business: 'person:bob', policy: 'person:paula', platform: 'person:pat' },
      });
      expect(identity?.credentials).toHaveLength(1);
      expect(identity?.credentials[0]?.fingerprint).toMatch(/^hmac-sha256:/);
      expect(JSON.stringify(identity)).not.toContain(created.secrets[0]!.value);
      const records = await recordsOf(f, created.run.id);
      const written = records.find((r) => r['type'] === 'inventory.identity_created');
      expect(written).toMatchObject({ actor: { kind: 'non_human', id: 'executor:service-tokens' } });
      expect(records.some((r) => r['type'] === 'alert.raised')).toBe(false);

      const rotate = await f.engine.file({
        request: {
          principal: 'service:ci-pipeline',
          action: 'rotate',
          resource: { identity: 'orders-deploy' },
          context: { durationMinutes: 60 },
        },
        requester: 'service:ci-pipeline',
        justification: 'scheduled rotation',
        idempotencyKey: 'orders-2',
      });
      const rotated = await f.engine.advance(rotate.id);
      expect(rotated.run.state).toBe('completed');
      const after = await f.ti.inventory.getIdentity('orders-deploy');
      expect(after?.credentials).toHaveLength(1);
      expect(after?.credentials[0]?.fingerprint).not.toBe(identity?.credentials[0]?.fingerprint);
      expect((await f.tokens.verifyPresented(created.secrets[0]!.value)).valid).toBe(false);
      expect((await f.tokens.verifyPresented(rotated.secrets[0]!.value)).valid).toBe(true);
    });

    it('runs completed at the same moment each write their identity back after their own run.verified', async () => {
      f = await createEngine(kind);
      const names = ['batch-a', 'batch-b', 'batch-c', 'batch-d'];
      const filed = await Promise.all(
        names.map((name) =>
          f.engine.file({
            request: {
              principal: 'service:ci-pipeline',
              action: 'create',
              resource: { new: { name, kind: 'token', system: 'tokens', tags: ['service:payments'] } },
              context: { durationMinutes: 60 },
            },
            requester: 'service:ci-pipeline',
            justification: 'deploy',
            idempotencyKey: name,
          }),
        ),
      );
      const done = await Promise.all(filed.map((r) => f.engine.advance(r.id)));
      expect(done.map((d) => d.run.state)).toEqual(names.map(() => 'completed'));
      for (const [i, name] of names.entries()) {
        const types = (await recordsOf(f, done[i]!.run.id)).map((r) => r['type']);
        expect(types.slice(-2)).toEqual(['run.verified', 'inventory.identity_created']);
        expect((await f.ti.inventory.getIdentity(name))?.credentials).toHaveLength(1);
      }
    });
  });
}
