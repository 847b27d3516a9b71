// How the scim connector fails: retryable or not, Retry-After, no secret in any error, and the
// connection rules (https, the journal extension), against the scimmy test peer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCustosError, type CustosError } from '../../src/core/errors.js';
import { apply, calls, errorOf, steps } from './scim/scim-helpers.js';
import { startScimServer, type ScimServer } from './scim/scim-server.js';
import { makeScimTarget, type ScimTarget } from './scim/scim-target.js';

let server: ScimServer;
let t: ScimTarget;
beforeAll(async () => {
  server = await startScimServer();
});
afterAll(() => server.stop());
afterEach(async () => {
  await t.cleanup();
  await server.clearFaults();
  await server.forget();
});

async function failure(p: Promise<unknown>): Promise<CustosError> {
  const e = await errorOf(p);
  if (!isCustosError(e)) throw new Error(`expected a CustosError, got ${String(e)}`);
  return e;
}

describe('scim connector errors', () => {
  it('waits out a short Retry-After on 503 and succeeds', async () => {
    t = await makeScimTarget(server);
    await server.fault({ status: 503, count: 1, method: 'POST', path: '/Users', retryAfter: '1' });
    const started = Date.now();
    const result = await apply(t, steps(t)('run-1', 'create', 'create'));
    expect(result.outcome).toBe('applied');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const posts = (await server.received()).filter((r) => r.method === 'POST' && r.url === '/scim/Users');
    expect(posts.map((r) => r.status)).toEqual([503, 201]);
  });

  it('does not wait beyond the cap: 429 with a long Retry-After is retryable at once, with the delay', async () => {
    t = await makeScimTarget(server);
    await server.fault({ status: 429, count: 5, method: 'GET', path: '/Users', retryAfter: '120' });
    const started = Date.now();
    const e = await failure(apply(t, steps(t)('run-1', 'create', 'create')));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    expect(e.details).toMatchObject({ status: 429, retryAfterSeconds: 120 });
  });

  it('gives up after bounded retries of 503', async () => {
    t = await makeScimTarget(server, { maxRetryWaitSeconds: 1 });
    await server.fault({ status: 503, count: 10, method: 'GET', path: '/Users' });
    const e = await failure(apply(t, steps(t)('run-1', 'create', 'create')));
    expect(e).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    const gets = (await server.received()).filter(
      (r) => r.method === 'GET' && r.url.startsWith('/scim/Users?'),
    );
    expect(gets).toHaveLength(3);
  });

  it('500 on a change is retryable and not retried blindly; the repeat is decided from the journal', async () => {
    t = await makeScimTarget(server);
    await server.fault({ status: 500, count: 1, method: 'POST', path: '/Users' });
    const create = steps(t)('run-1', 'create', 'create');
    expect(await failure(apply(t, create))).toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true });
    expect(calls(await server.received(), 'POST')).toEqual(['POST /Users']);
    expect((await apply(t, create)).outcome).toBe('applied');
  });

  it('a 409 that is not about the userName is refused, not retried as a conflict', async () => {
    t = await makeScimTarget(server);
    await server.fault({ status: 409, count: 1, method: 'POST', path: '/Users', scimType: 'uniqueness' });
    const e = await failure(apply(t, steps(t)('run-1', 'create', 'create')));
    expect(e).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false, details: { status: 409 } });
    expect(calls(await server.received(), 'POST')).toEqual(['POST /Users']);
  });

  it('a 4xx is not retryable and carries scimType and detail, with the password cut out', async () => {
    t = await makeScimTarget(server);
    await server.fault({
      status: 400,
      count: 1,
      method: 'POST',
      path: '/Users',
      scimType: 'invalidValue',
      echo: true,
    });
    const e = await failure(apply(t, steps(t)('run-1', 'create', 'create')));
    expect(e).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false });
    expect(e.details).toMatchObject({ status: 400, scimType: 'invalidValue' });
    const [post] = (await server.received()).filter((r) => r.method === 'POST');
    const password = (JSON.parse(post!.body) as { password: string }).password;
    expect(String(e.details['detail'])).toContain('<redacted>');
    expect(JSON.stringify([e.message, e.details, e.stack])).not.toContain(password);
  });

  it('a refused bearer token is not retryable, and the token appears nowhere', async () => {
    t = await makeScimTarget(server);
    const wrong = 'wrong-token-value-0123456789';
    const system = { ...t.system, connection: { ...t.system.connection, token: 'env:OTHER' } };
    const { ScimConnector } = await import('../../src/connectors/scim/index.js');
    const c = new ScimConnector({
      authority: { assert: () => Promise.resolve(undefined) },
      fingerprintKey: { id: 'k', key: new Uint8Array(32) },
      resolveSecret: () => wrong,
      now: () => new Date(),
    });
    const s = steps(t)('run-1', 'create', 'create');
    const e = await failure(c.apply({ ...s.step, system }, s.authority));
    expect(e).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false, details: { status: 401 } });
    expect(JSON.stringify([e.message, e.details])).not.toContain(wrong);
  });

  it('refuses a base URL that is not https unless allowInsecureHttp, sending nothing', async () => {
    t = await makeScimTarget(server, { connection: { allowInsecureHttp: false } });
    await server.forget();
    const s = steps(t)('run-1', 'create', 'create');
    for (const p of [t.connector.plan(s.step, s.authority), t.connector.apply(s.step, s.authority)]) {
      const e = await failure(p);
      expect(e).toMatchObject({ code: 'CONFIG_INVALID', retryable: false, details: { field: 'baseUrl' } });
      expect(e.message).toMatch(/https/);
    }
    expect(await server.received()).toEqual([]);
    const https = await makeScimTarget(server, { connection: { baseUrl: 'https://scim.example.test/v2' } });
    const h = steps(https)('run-1', 'create', 'create');
    expect((await https.connector.plan(h.step, h.authority)).effects[0]).toMatch(/^POST \/Users/);
    await https.cleanup();
  });

  it('refuses a service without the Custos journal extension (fail closed)', async () => {
    const plain = await startScimServer({ extension: false });
    try {
      t = await makeScimTarget(plain);
      const e = await failure(apply(t, steps(t)('run-1', 'create', 'create')));
      expect(e).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
      expect(e.message).toContain('urn:ietf:params:scim:schemas:extension:custos:2.0:User');
      expect(calls(await plain.received()).filter((c) => !c.startsWith('GET'))).toEqual([]);
      await t.cleanup();
    } finally {
      await plain.stop();
    }
  });

  it('refuses what SCIM cannot do: an overlap, a ttl, expire, end_sessions as a step', async () => {
    t = await makeScimTarget(server);
    const s = steps(t);
    await apply(t, s('run-1', 'create', 'create'));
    const refusals = [
      s('run-2', 'rotate', 'rotate', { overlapSeconds: 60 }),
      s('run-2', 'rotate-ttl', 'rotate', { ttlSeconds: 3600 }),
      s('run-3', 'expire', 'expire'),
      s('run-4', 'end', 'end_sessions'),
    ];
    for (const r of refusals) {
      expect(await failure(apply(t, r))).toMatchObject({ code: 'CONNECTOR_REFUSED', retryable: false });
      expect(await failure(t.connector.plan(r.step, r.authority))).toMatchObject({
        code: 'CONNECTOR_REFUSED',
      });
    }
  });
});
