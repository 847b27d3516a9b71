/**
 * Per-token rate limits over HTTP, on both stores: an exhausted token gets 429 RATE_LIMITED with
 * Retry-After while another token is unaffected; requests without a valid token are limited by
 * the client's address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';

for (const kind of storeKinds()) {
  describe(`rate limits on ${kind.name}`, () => {
    let f: ApiFixture;
    beforeAll(async () => {
      f = await createApiFixture(kind, { rateLimit: { burst: 5, perSecond: 0.2 } });
    });
    afterAll(async () => {
      await f.close();
    });

    it('limits each token on its own, with Retry-After', async () => {
      const eve = await f.token('person:eve');
      const dan = await f.token('person:dan');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await f.request('GET', '/v1/whoami', { token: eve })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await f.request('GET', '/v1/runs', { token: eve });
      expect(limited.json).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await f.request('GET', '/v1/whoami', { token: dan })).status).toBe(200);
      // A write refused by the limit writes nothing and keeps no key.
      const size = await f.custos.ledger.size();
      const write = await f.request('POST', '/v1/ledger/checkpoints', { token: eve, body: {}, key: 'rl-1' });
      expect(write.status).toBe(429);
      expect(await f.custos.ledger.size()).toBe(size);
    });

    it('limits attempts without a valid token by address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await f.request('GET', '/v1/whoami', { token: 'cst_bad' })).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    });
  });
}
