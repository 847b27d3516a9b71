/**
 * Idempotency-Key on writes, over HTTP, on both stores: a replay returns the stored answer and
 * changes nothing (the ledger does not grow), with any secret withheld; the same key with another
 * body is IDEMPOTENCY_KEY_REUSED; a refusal is replayed as the same refusal; keys are per principal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITHHELD } from '../../src/api/idempotency.js';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY } from './support.js';

for (const kind of storeKinds()) {
  describe(`idempotency on ${kind.name}`, () => {
    let f: ApiFixture;
    beforeAll(async () => {
      f = await createApiFixture(kind);
    });
    afterAll(async () => {
      await f.close();
    });

    it('replays a write: same answer, nothing written again, secrets withheld', async () => {
      const ci = await f.token('service:ci-pipeline');
      const body = { request: CI_TOKEN, justification: 'deploy 1' };
      const first = await f.request('POST', '/v1/requests', { token: ci, body, key: 'deploy-1' });
      expect(first.status).toBe(201);
      const secret = (first.json['secrets'] as { value: string }[])[0]!.value;
      expect(secret).toMatch(/^ey/);
      const size = await f.custos.ledger.size();
      const again = await f.request('POST', '/v1/requests', { token: ci, body, key: 'deploy-1' });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.json['run']).toEqual(first.json['run']);
      expect(again.json['secrets']).toEqual([{ ...(first.json['secrets'] as object[])[0], value: WITHHELD }]);
      expect(await f.custos.ledger.size()).toBe(size);
      // The stored answer holds no secret either.
      const rows = await f.custos.store.read.query<{ response: string }>(
        'SELECT response FROM api_idempotency',
      );
      expect(JSON.stringify(rows)).not.toContain(secret);
      // The key is the run's idempotency key too: the engine has one run for it.
      const runs = await f.service.listRuns(
        { principal: 'service:ci-pipeline' },
        { requester: 'service:ci-pipeline' },
      );
      expect(runs.items.filter((r) => r.idempotencyKey === 'deploy-1')).toHaveLength(1);
    });

    it('refuses the same key with another body (422), and keeps keys per principal', async () => {
      const eve = await f.token('person:eve');
      const body = { request: ENGINEER_KEY, justification: 'metrics' };
      expect((await f.request('POST', '/v1/requests', { token: eve, body, key: 'k-1' })).status).toBe(201);
      const size = await f.custos.ledger.size();
      const other = await f.request('POST', '/v1/requests', {
        token: eve,
        body: { ...body, justification: 'other' },
        key: 'k-1',
      });
      expect(other.status).toBe(422);
      expect(other.json).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { field: 'Idempotency-Key' },
      });
      // The same key on another route is another request too.
      const elsewhere = await f.request('POST', '/v1/ledger/checkpoints', {
        token: await f.token('person:alice'),
        body: {},
        key: 'k-1',
      });
      expect(elsewhere.status).toBe(201);
      expect(await f.custos.ledger.size()).toBe(size);
      // Another principal's identical key is theirs alone.
      const ci = await f.token('service:ci-pipeline');
      const theirs = await f.request('POST', '/v1/requests', {
        token: ci,
        body: { request: CI_TOKEN, justification: 'x' },
        key: 'k-1',
      });
      expect(theirs.status).toBe(201);
    });

    it('replays a refusal as the same refusal, and releases a key on a failure that may pass later', async () => {
      const alice = await f.token('person:alice');
      const body = {
        type: 'tokens',
        environment: 'prod',
        owner: 'group:platform',
        connection: { token: 'literal' },
      };
      const first = await f.request('PUT', '/v1/systems/idem-sys', { token: alice, body, key: 'sys-1' });
      expect(first.json['code']).toBe('SECRET_NOT_REFERENCE');
      const again = await f.request('PUT', '/v1/systems/idem-sys', { token: alice, body, key: 'sys-1' });
      expect(again.status).toBe(first.status);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.json).toMatchObject({ code: 'SECRET_NOT_REFERENCE', detail: first.json['detail'] });
      // FORBIDDEN is not an answer to keep: once allowed, the same key goes through.
      const carol = await f.token('person:carol');
      const sys = { type: 'tokens', environment: 'dev', owner: 'group:platform', connection: {} };
      expect(
        (await f.request('PUT', '/v1/systems/idem-2', { token: carol, body: sys, key: 'sys-2' })).json[
          'code'
        ],
      ).toBe('FORBIDDEN');
      await f.service.upsertPrincipal(
        { principal: 'person:alice' },
        { id: 'person:carol', roles: ['owner', 'requester', 'admin'] },
      );
      // (A token's scopes default to the roles held when it was issued: a new one holds admin.)
      const fresh = await f.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:carol', name: 'now admin' },
      );
      const allowed = await f.request('PUT', '/v1/systems/idem-2', {
        token: fresh.token,
        body: sys,
        key: 'sys-2',
      });
      expect(allowed.status).toBe(200);
    });

    it('refuses a key whose first request is still running (409), then replays it', async () => {
      const alice = await f.token('person:alice');
      const body = { principal: 'person:eve', name: 'concurrent' };
      const [a, b] = await Promise.all([
        f.request('POST', '/v1/api-tokens', { token: alice, body, key: 'same-time' }),
        f.request('POST', '/v1/api-tokens', { token: alice, body, key: 'same-time' }),
      ]);
      const statuses = [a.status, b.status].sort();
      // Either the second arrived while the first ran (409 IN_USE) or after it finished (a replay).
      if (statuses[0] === 201 && statuses[1] === 201) {
        expect([a, b].filter((x) => x.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
      } else {
        expect(statuses).toEqual([201, 409]);
        expect([a, b].find((x) => x.status === 409)!.json['code']).toBe('IDEMPOTENCY_KEY_IN_USE');
      }
      const tokens = await f.service.listApiTokens(
        { principal: 'person:alice' },
        { principal: 'person:eve' },
      );
      expect(tokens.items.filter((t) => t.name === 'concurrent')).toHaveLength(1);
      const replay = await f.request('POST', '/v1/api-tokens', { token: alice, body, key: 'same-time' });
      expect(replay.json['token']).toBe(WITHHELD);
    });
  });
}
