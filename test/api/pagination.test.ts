/**
 * Cursor pagination over HTTP, on both stores: walking pages of any size yields every item once, in
 * order, and the last page has no `next`; filters page too; a cursor from another list or made up
 * is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY } from './support.js';

async function walk(
  f: ApiFixture,
  token: string,
  path: string,
  limit: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await f.request(
      'GET',
      `${path}${sep}limit=${limit}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`,
      { token },
    );
    expect(answer.status).toBe(200);
    const items = answer.json['items'] as { id: string }[];
    expect(items.length).toBeLessThanOrEqual(limit);
    ids.push(...items.map((i) => i.id));
    pages++;
    after = answer.json['next'] as string | undefined;
    if (after === undefined) return { ids, pages };
    expect(items).toHaveLength(limit);
  }
}

for (const kind of storeKinds()) {
  describe(`pagination on ${kind.name}`, () => {
    let f: ApiFixture;
    let token: string;
    beforeAll(async () => {
      f = await createApiFixture(kind);
      token = f.roles.auditor;
      const admin = { principal: 'person:alice' };
      for (let i = 0; i < 5; i++) {
        await f.service.upsertSystem(admin, {
          id: `page-sys-${i}`,
          type: 'tokens',
          environment: 'dev',
          owner: 'group:platform',
          connection: {},
        });
      }
      for (let i = 0; i < 4; i++) {
        await f.service.fileRequest(
          { principal: 'service:ci-pipeline' },
          {
            request: { ...CI_TOKEN, resource: { new: { ...CI_TOKEN.resource.new, name: `deploy-${i}` } } },
            justification: `deploy ${i}`,
          },
        );
        await f.service.fileRequest(
          { principal: 'person:eve' },
          {
            request: {
              ...ENGINEER_KEY,
              resource: { new: { name: `eve-${i}`, kind: 'api_key', system: 'tokens' } },
            },
            justification: `key ${i}`,
          },
        );
      }
    });
    afterAll(async () => {
      await f.close();
    });

    it('walks systems, principals and identities page by page', async () => {
      for (const [path, all] of [
        ['/v1/systems', (await f.service.listSystems({ principal: 'person:sara' }, { limit: 1000 })).items],
        [
          '/v1/principals',
          (await f.service.listPrincipals({ principal: 'person:sara' }, { limit: 1000 })).items,
        ],
        [
          '/v1/identities',
          (await f.service.listIdentities({ principal: 'person:sara' }, { limit: 1000 })).items,
        ],
      ] as const) {
        const expected = all.map((i) => i.id);
        expect(expected.length).toBeGreaterThan(2);
        for (const limit of [1, 2, 3, 1000]) {
          const { ids, pages } = await walk(f, token, path, limit);
          expect(ids, `${path} limit ${limit}`).toEqual(expected);
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
        }
      }
      const onPg = await walk(f, token, '/v1/identities?system=pg-prod', 1);
      expect(onPg.ids).toEqual(['payments-migrator', 'reporting-svc']);
    });

    it('walks runs in filing order, with filters', async () => {
      const all = await walk(f, token, '/v1/runs', 1000);
      expect(all.ids).toHaveLength(8);
      for (const limit of [1, 3, 7]) expect((await walk(f, token, '/v1/runs', limit)).ids).toEqual(all.ids);
      const eve = await walk(f, token, '/v1/runs?requester=person%3Aeve', 3);
      expect(eve.ids).toHaveLength(4);
      const completed = await walk(f, token, '/v1/runs?state=completed', 2);
      expect(completed.ids).toHaveLength(4);
      expect(eve.ids.filter((id) => completed.ids.includes(id))).toEqual([]);
      // A run filed while paging shows up on a later page, never twice.
      const first = await f.request('GET', '/v1/runs?limit=4', { token });
      await f.service.fileRequest(
        { principal: 'person:eve' },
        {
          request: {
            ...ENGINEER_KEY,
            resource: { new: { name: 'late', kind: 'api_key', system: 'tokens' } },
          },
          justification: 'late',
        },
      );
      const rest = await f.request(
        'GET',
        `/v1/runs?limit=1000&after=${encodeURIComponent(first.json['next'] as string)}`,
        { token },
      );
      const ids = [
        ...(first.json['items'] as { id: string }[]),
        ...(rest.json['items'] as { id: string }[]),
      ].map((r) => r.id);
      expect(new Set(ids).size).toBe(9);
    });

    it('refuses a cursor that is not one', async () => {
      for (const after of ['bm9wZQ', 'WzEsMl0', '%00']) {
        const answer = await f.request('GET', `/v1/runs?after=${after}`, { token });
        expect({ status: answer.status, code: answer.json['code'] }).toEqual({
          status: 400,
          code: 'INPUT_INVALID',
        });
      }
    });
  });
}
