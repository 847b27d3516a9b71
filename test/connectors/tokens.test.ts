import fs from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/canonical-json.js';
import { scopeOf } from '../../src/connectors/authority-check.js';
import type { Step, StepAction } from '../../src/connectors/contract.js';
import { RUN_CLAIM } from '../../src/connectors/tokens/index.js';
import { assertNoSecrets } from '../../src/ledger/secrets.js';
import { storeKinds } from '../support/stores.js';
import { makeTokensTarget, type TokensTarget } from './tokens-target.js';

// Delegated authority comes from FakeAuthority, a stand-in for src/authority.
for (const kind of storeKinds()) {
  describe(`tokens connector on ${kind.name}`, () => {
    let t: TokensTarget;
    beforeEach(async () => {
      t = await makeTokensTarget(kind);
    });
    afterEach(() => t.cleanup());

    const run = async (runId: string, action: StepAction, params: Record<string, JsonValue> = {}) => {
      const step: Step = { runId, stepId: action, action, system: t.system, identity: t.identity, params };
      const result = await t.connector.apply(step, t.authority(scopeOf(step)));
      return { step, result };
    };

    it('issues a short-lived JWT that a service verifies offline against the JWKS', async () => {
      const { result } = await run('run-1', 'create', { kind: 'token', ttlSeconds: 300 });
      const jwt = result.secret!.value;
      const jwks = createLocalJWKSet(JSON.parse(JSON.stringify(t.connector.jwks())) as JSONWebKeySet);
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { currentDate: t.clock.now });
      expect(protectedHeader.alg).toBe('EdDSA');
      expect(payload).toMatchObject({
        sub: t.identity.id,
        jti: result.outputs['credentialId'],
        [RUN_CLAIM]: 'run-1',
      });
      expect(payload.exp).toBe(t.clock.now.getTime() / 1000 + 300);
      expect(await t.connector.verifyPresented(jwt)).toMatchObject({ valid: true, runId: 'run-1' });
    });

    it('expires tokens by the injected clock', async () => {
      const { result } = await run('run-1', 'create', { kind: 'token', ttlSeconds: 60 });
      await t.advance(61);
      expect(await t.connector.verifyPresented(result.secret!.value)).toMatchObject({
        valid: false,
        reason: 'expired',
        identity: t.identity.id,
      });
    });

    it('ends sessions: outstanding short-lived tokens are revoked, API keys are not', async () => {
      const key = (await run('run-1', 'create')).result.secret!.value;
      const jwt = (await run('run-2', 'rotate', { kind: 'token', overlapSeconds: 600 })).result.secret!.value;
      const { step } = await run('run-3', 'end_sessions');
      expect(await t.connector.verifyPresented(jwt)).toMatchObject({ valid: false, reason: 'revoked' });
      expect((await t.connector.verifyPresented(key)).valid).toBe(true);
      expect(await t.connector.endSessions({ ...step, stepId: 'again' }, t.authority(scopeOf(step)))).toBe(0);
    });

    it('explains invalid presentations and keeps retired identities final', async () => {
      const key = (await run('run-1', 'create')).result.secret!.value;
      expect((await t.connector.verifyPresented('cus_nope')).reason).toBe('unknown');
      expect((await t.connector.verifyPresented('not a token')).reason).toBe('malformed');
      await run('run-2', 'suspend');
      expect((await t.connector.verifyPresented(key)).reason).toBe('suspended');
      await run('run-3', 'retire');
      expect((await t.connector.verifyPresented(key)).reason).toBe('retired');
      await expect(run('run-4', 'enable')).rejects.toMatchObject({
        code: 'TARGET_STATE_MISMATCH',
        retryable: false,
      });
    });

    it('records no secrets: outputs pass the ledger guard, repeats do not return the secret', async () => {
      const { step, result } = await run('run-1', 'create');
      assertNoSecrets(result.outputs);
      const again = await t.connector.apply(step, t.authority(scopeOf(step)));
      expect(again).toMatchObject({ outcome: 'already_applied' });
      expect(again.secret).toBeUndefined();
    });

    it('rolls back a create: the identity is gone and its credential no longer verifies', async () => {
      const step: Step = {
        runId: 'r',
        stepId: 's',
        action: 'create',
        system: t.system,
        identity: t.identity,
        params: {},
      };
      const authority = t.authority(scopeOf(step));
      const prior = await t.connector.readPrior(step, authority);
      const secret = (await t.connector.apply(step, authority)).secret!.value;
      await t.connector.rollback(step, authority, prior);
      expect((await t.connector.verifyPresented(secret)).valid).toBe(false);
      expect(
        await t.connector.list(
          t.system,
          t.authority({ runId: '*', action: 'list', system: t.system.id, identity: '*' }),
        ),
      ).toEqual([]);
      expect((await t.connector.verify(step, authority)).ok).toBe(true);
    });

    it('refuses an unsupported action and bad params without retry', async () => {
      await expect(run('run-1', 'grant')).rejects.toMatchObject({
        code: 'CONNECTOR_REFUSED',
        retryable: false,
      });
      // Bad params are bad input, refused by checkStep (before filing) as by apply.
      await expect(run('run-1', 'create', { ttlSeconds: -1 })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
        retryable: false,
      });
      await expect(run('run-1', 'create', { entitlements: ['admin'] })).rejects.toMatchObject({
        code: 'INPUT_INVALID',
      });
    });
  });
}

describe('tokens connector storage', () => {
  it('never stores a secret: the database bytes do not contain it', async () => {
    const sqlite = storeKinds().find((k) => k.name === 'sqlite')!;
    const t = await makeTokensTarget(sqlite);
    const step: Step = {
      runId: 'r',
      stepId: 's',
      action: 'create',
      system: t.system,
      identity: t.identity,
      params: {},
    };
    const secret = (await t.connector.apply(step, t.authority(scopeOf(step)))).secret!;
    const jwtStep: Step = { ...step, stepId: 't', action: 'rotate', params: { kind: 'token' } };
    const jwt = (await t.connector.apply(jwtStep, t.authority(scopeOf(jwtStep)))).secret!;
    await t.cleanup();
    const bytes = Buffer.concat(
      fs
        .readdirSync(t.dataDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => fs.readFileSync(path.join(e.parentPath, e.name))),
    );
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(secret.fingerprint)).toBe(true);
    expect(bytes.includes(secret.value)).toBe(false);
    expect(bytes.includes(secret.value.slice(4))).toBe(false);
    expect(bytes.includes(jwt.value)).toBe(false);
    expect(bytes.includes(jwt.value.split('.')[2]!)).toBe(false);
  });
});
