/**
 * Bad requests over HTTP, on both stores: each is refused with problem+json and a stable code, and
 * writes nothing. Also authentication (missing, malformed, unknown, revoked, expired tokens), the
 * body limit, media types, unknown routes and methods, and what the access log keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY } from './support.js';

for (const kind of storeKinds()) {
  describe(`validation and authentication on ${kind.name}`, () => {
    let f: ApiFixture;
    let eve: string;
    beforeAll(async () => {
      f = await createApiFixture(kind, { maxBodyBytes: 64 * 1024 });
      eve = await f.token('person:eve');
    });
    afterAll(async () => {
      await f.close();
    });

    const refused = async (
      method: string,
      path: string,
      options: Parameters<ApiFixture['request']>[2],
      status: number,
      code: string,
      field?: string,
    ) => {
      const before = await f.custos.ledger.size();
      const answer = await f.request(method, path, options);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect({ status: answer.status, code: answer.json['code'] }).toEqual({ status, code });
      expect(answer.json).toMatchObject({ type: `urn:custos:error:${code}`, status });
      expect(typeof answer.json['title']).toBe('string');
      if (field !== undefined) expect(answer.json['details']).toMatchObject({ field });
      expect(await f.custos.ledger.size()).toBe(before);
      return answer;
    };

    it('refuses bodies that do not match the schema, naming the field', async () => {
      const post = (body: unknown) => ({ token: eve, body });
      await refused('POST', '/v1/requests', post({}), 400, 'INPUT_INVALID', 'request');
      await refused(
        'POST',
        '/v1/requests',
        post({ request: ENGINEER_KEY }),
        400,
        'INPUT_INVALID',
        'justification',
      );
      await refused(
        'POST',
        '/v1/requests',
        post({ request: { ...ENGINEER_KEY, action: 'destroy' }, justification: 'x' }),
        400,
        'INPUT_INVALID',
        'request.action',
      );
      await refused(
        'POST',
        '/v1/requests',
        post({ request: ENGINEER_KEY, justification: 'x', extra: 1 }),
        400,
        'INPUT_INVALID',
      );
      await refused(
        'POST',
        '/v1/requests',
        post({
          request: {
            ...ENGINEER_KEY,
            resource: { new: { name: '../etc', kind: 'token', system: 'tokens' } },
          },
          justification: 'x',
        }),
        400,
        'INPUT_INVALID',
        'request.resource.new.name',
      );
      await refused('POST', '/v1/requests', post([1, 2]), 400, 'INPUT_INVALID', 'body');
      await refused('POST', '/v1/requests', post(null), 400, 'INPUT_INVALID', 'body');
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, raw: '{"request":', headers: { 'content-type': 'application/json' } },
        400,
        'INPUT_INVALID',
        'body',
      );
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, raw: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json' } },
        400,
        'INPUT_INVALID',
        'body',
      );
      await refused(
        'POST',
        '/v1/requests',
        {
          token: eve,
          raw: `${'['.repeat(100)}${']'.repeat(100)}`,
          headers: { 'content-type': 'application/json' },
        },
        400,
        'INPUT_INVALID',
        'body',
      );
      // __proto__ is a key like any other: unknown, so refused (never the prototype).
      await refused(
        'POST',
        '/v1/requests',
        {
          token: eve,
          raw: `{"request":${JSON.stringify(ENGINEER_KEY)},"justification":"x","__proto__":{"admin":true}}`,
          headers: { 'content-type': 'application/json' },
        },
        400,
        'INPUT_INVALID',
      );
      // Well formed, but the token issuer could never carry it out: refused before filing, by its connector.
      const answer = await refused(
        'POST',
        '/v1/requests',
        post({
          request: { ...ENGINEER_KEY, context: { ...ENGINEER_KEY.context, entitlements: ['admin'] } },
          justification: 'x',
          idempotencyKey: 'connector-refuses',
        }),
        400,
        'INPUT_INVALID',
        'request',
      );
      expect(answer.json['details']).toMatchObject({
        system: 'tokens',
        action: 'create',
        refusal: 'INPUT_INVALID',
      });
    });

    it('refuses bad query parameters, bodies on GET, query strings on writes and path clashes', async () => {
      await refused('GET', '/v1/runs?limit=0', { token: eve }, 400, 'INPUT_INVALID', 'limit');
      await refused('GET', '/v1/runs?limit=1001', { token: eve }, 400, 'INPUT_INVALID', 'limit');
      await refused('GET', '/v1/runs?limit=ten', { token: eve }, 400, 'INPUT_INVALID', 'limit');
      await refused('GET', '/v1/runs?limit=1&limit=2', { token: eve }, 400, 'INPUT_INVALID', 'limit');
      await refused('GET', '/v1/runs?state=sleeping', { token: eve }, 400, 'INPUT_INVALID', 'state');
      await refused('GET', '/v1/runs?colour=red', { token: eve }, 400, 'INPUT_INVALID');
      await refused('GET', '/v1/runs?after=not-a-cursor', { token: eve }, 400, 'INPUT_INVALID', 'after');
      await refused(
        'GET',
        '/v1/ledger/proofs/inclusion?index=5&size=2',
        { token: eve },
        400,
        'PROOF_INDEX_OUT_OF_RANGE',
      );
      await refused(
        'GET',
        '/v1/ledger/proofs/inclusion?index=0&size=99999999',
        { token: eve },
        400,
        'PROOF_SIZE_INVALID',
      );
      await refused('GET', '/v1/systems/%E0%A4%A', { token: eve }, 400, 'INPUT_INVALID', 'path');
      await refused(
        'POST',
        '/v1/requests?x=1',
        { token: eve, body: { request: CI_TOKEN, justification: 'x' } },
        400,
        'INPUT_INVALID',
        'query',
      );
      const admin = await f.token('person:alice');
      await refused(
        'PUT',
        '/v1/systems/a',
        { token: admin, body: { id: 'b', type: 'tokens' } },
        400,
        'INPUT_INVALID',
        'id',
      );
      await refused(
        'PUT',
        '/v1/systems/a',
        {
          token: admin,
          body: {
            type: 'tokens',
            environment: 'prod',
            owner: 'group:platform',
            connection: { password: 'hunter2' },
          },
        },
        422,
        'SECRET_NOT_REFERENCE',
      );
    });

    it('refuses a request in the name of someone else', async () => {
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, body: { request: { ...ENGINEER_KEY, principal: 'person:alice' }, justification: 'x' } },
        403,
        'FORBIDDEN',
      );
    });

    it('limits the body (413), wants JSON (415), and knows its routes (404, 405)', async () => {
      const big = { request: ENGINEER_KEY, justification: 'x'.repeat(70 * 1024) };
      const answer = await refused('POST', '/v1/requests', { token: eve, body: big }, 413, 'BODY_TOO_LARGE');
      expect(answer.json['details']).toMatchObject({ limit: 64 * 1024 });
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, raw: 'request=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'MEDIA_TYPE_UNSUPPORTED',
      );
      await refused('GET', '/v1/nothing-here', { token: eve }, 404, 'NOT_FOUND');
      await refused('GET', '/v1/runs/run_unknown', { token: eve }, 404, 'RUN_NOT_FOUND');
      const put = await refused('PUT', '/v1/runs', { token: eve, body: {} }, 405, 'METHOD_NOT_ALLOWED');
      expect(put.headers.get('allow')).toBe('GET');
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, body: { request: CI_TOKEN, justification: 'x' }, key: null },
        400,
        'IDEMPOTENCY_KEY_MISSING',
      );
      await refused(
        'POST',
        '/v1/requests',
        { token: eve, body: { request: CI_TOKEN, justification: 'x' }, key: 'a b' },
        400,
        'IDEMPOTENCY_KEY_MISSING',
      );
    });

    it('authenticates every call but the JWKS, health and the document', async () => {
      const missing = await refused('GET', '/v1/whoami', {}, 401, 'UNAUTHENTICATED');
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      await refused(
        'GET',
        '/v1/whoami',
        { headers: { authorization: 'Basic YWxpY2U6eA==' } },
        401,
        'UNAUTHENTICATED',
      );
      await refused(
        'GET',
        '/v1/whoami',
        { token: 'cst_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
        401,
        'UNAUTHENTICATED',
      );
      await refused('GET', '/v1/whoami', { token: `${eve.slice(0, -2)}AA` }, 401, 'UNAUTHENTICATED');
      await refused('GET', '/metrics', {}, 401, 'UNAUTHENTICATED');
      // Revoked: at once.
      const spare = await f.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:eve', name: 'spare' },
      );
      expect((await f.request('GET', '/v1/whoami', { token: spare.token })).status).toBe(200);
      await f.service.revokeApiToken({ principal: 'person:eve' }, { id: spare.id });
      const revoked = await refused('GET', '/v1/whoami', { token: spare.token }, 401, 'UNAUTHENTICATED');
      expect(revoked.json['details']).toMatchObject({ reason: 'revoked' });
      // Expired: the stored expiry is what counts.
      const old = await f.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:eve', name: 'old', expiresInDays: 1 },
      );
      await f.custos.ledger.transact((tx) =>
        tx.run('UPDATE api_tokens SET expires_at = ? WHERE id = ?', ['2000-01-01T00:00:00.000Z', old.id]),
      );
      const expired = await refused('GET', '/v1/whoami', { token: old.token }, 401, 'UNAUTHENTICATED');
      expect(expired.json['details']).toMatchObject({ reason: 'expired' });
      for (const path of ['/healthz', '/readyz', '/openapi.json', '/v1/jwks', '/.well-known/jwks.json']) {
        expect((await f.request('GET', path)).status, path).toBe(200);
      }
      expect((await f.request('GET', '/readyz')).json).toEqual({
        status: 'ready',
        checks: { store: 'ok', migrations: 'ok', ledger: 'ok' },
      });
    });

    it('narrows a token to its scopes, and a role removed takes effect at once', async () => {
      const scoped = await f.service.issueApiToken(
        { principal: 'person:alice' },
        { principal: 'person:alice', name: 'owner only', scopes: ['owner'] },
      );
      await refused(
        'PUT',
        '/v1/systems/scoped',
        { token: scoped.token, body: { type: 'tokens', environment: 'dev', owner: 'group:platform' } },
        403,
        'FORBIDDEN',
      );
      await refused(
        'POST',
        '/v1/api-tokens',
        {
          token: await f.token('person:alice'),
          body: { principal: 'person:eve', name: 'x', scopes: ['admin'] },
        },
        400,
        'FIELD_INVALID',
        'scopes',
      );
      const dan = await f.token('person:dan');
      expect((await f.request('GET', '/v1/runs', { token: dan })).status).toBe(200);
      await f.service.upsertPrincipal({ principal: 'person:alice' }, { id: 'person:dan', roles: [] });
      await refused('GET', '/v1/runs', { token: dan }, 403, 'FORBIDDEN');
      expect((await f.request('GET', '/v1/whoami', { token: dan })).json).toMatchObject({ roles: [] });
    });

    it('never logs a token, a secret or a body', async () => {
      const ci = await f.token('service:ci-pipeline');
      const filed = await f.request('POST', '/v1/requests', {
        token: ci,
        body: { request: CI_TOKEN, justification: 'deploy' },
      });
      expect(filed.status).toBe(201);
      const secret = (filed.json['secrets'] as { value: string }[])[0]!.value;
      const verified = await f.request('POST', '/v1/tokens/verify', { token: ci, body: { token: secret } });
      expect(verified.json).toMatchObject({ valid: true, identity: 'payments-deploy' });
      const issued = await f.request('POST', '/v1/api-tokens', {
        token: await f.token('person:alice'),
        body: { principal: 'person:eve', name: 'logged?' },
      });
      const log = JSON.stringify(f.logs);
      for (const s of [secret, ci, eve, String(issued.json['token']), 'deploy"'])
        expect(log).not.toContain(s);
      const entry = f.logs.find((l) => l.operation === 'verifyToken')!;
      expect(entry).toMatchObject({
        status: 200,
        principal: 'service:ci-pipeline',
        route: '/v1/tokens/verify',
      });
      expect(Object.keys(entry)).not.toContain('headers');
    });
  });
}
