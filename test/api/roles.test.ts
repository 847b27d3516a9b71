/**
 * Every role against every mutating endpoint, over HTTP, on both stores. Tokens are scoped to one
 * role each (see http-support.ts). A role the operation does not admit gets 403 FORBIDDEN naming
 * the roles it requires; each admitted role has an explicit expectation below — its success, or
 * the precise refusal of the ownership rules, separation of duties or the run's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApproverKey } from '../../src/approvals/index.js';
import type { Role } from '../../src/inventory/index.js';
import { OPERATIONS, OPERATION_NAMES, type OperationName } from '../../src/service/index.js';
import { ROUTE_OF } from '../../src/api/index.js';
import { storeKinds } from '../support/stores.js';
import { ROLE_NAMES, createApiFixture, type ApiFixture } from './http-support.js';
import { ENGINEER_KEY, EXCEPTION, approverKey, bundleFiles, signed } from './support.js';

interface Case {
  readonly path: string;
  readonly body?: unknown;
  /** A status, or a status and the problem's code. */
  readonly expect: number | readonly [number, string];
}

type Build = (f: ApiFixture) => Case | Promise<Case>;

const WRITES = OPERATION_NAMES.filter((n) => OPERATIONS[n].writes);

/** A run filed by Eve (requester) through the service: `what` is ENGINEER_KEY or EXCEPTION. */
async function evesRun(f: ApiFixture, what: 'key' | 'exception' = 'exception') {
  const request =
    what === 'key'
      ? {
          ...ENGINEER_KEY,
          resource: {
            new: {
              name: `k-${Math.random().toString(36).slice(2, 10)}`,
              kind: 'api_key' as const,
              system: 'tokens',
            },
          },
        }
      : EXCEPTION;
  const { run } = await f.service.fileRequest(
    { principal: 'person:eve' },
    { request, justification: 'roles test' },
  );
  expect(run.state).toBe('awaiting_approval');
  return run;
}

const ALLOWED: Readonly<Partial<Record<OperationName, Partial<Record<Role, Build>>>>> = {
  upsertSystem: {
    admin: () => ({
      path: '/v1/systems/roles-sys',
      body: { type: 'tokens', environment: 'dev', owner: 'group:platform', connection: {} },
      expect: 200,
    }),
  },
  upsertIdentity: {
    admin: () => ({
      path: '/v1/identities/payments-api-token',
      body: { tags: { app: 'payments', tier: 'gold' } },
      expect: 200,
    }),
    // Carol is its business owner.
    owner: () => ({
      path: '/v1/identities/payments-api-token',
      body: { tags: { app: 'payments', by: 'carol' } },
      expect: 200,
    }),
  },
  upsertPrincipal: {
    admin: () => ({ path: '/v1/principals/person:zed', body: { roles: ['requester'] }, expect: 200 }),
  },
  importInventory: {
    admin: () => ({
      path: '/v1/inventory/import',
      body: { format: 'yaml', text: 'principals:\n  - id: person:yan\n', dryRun: true },
      expect: 200,
    }),
  },
  registerKey: {
    approver: () => ({
      path: '/v1/principals/person:alice/keys',
      body: {
        principal: undefined,
        publicKey: generateApproverKey('person:alice').publicKey,
      },
      expect: 201,
    }),
  },
  // The example bundle is already active: a redeploy or a decision conflicts with its state.
  deployBundle: {
    admin: () => ({
      path: '/v1/bundles',
      body: { files: bundleFiles() },
      expect: [409, 'STORE_CONFLICT'],
    }),
    owner: () => ({
      path: '/v1/bundles',
      body: { files: bundleFiles() },
      expect: [409, 'STORE_CONFLICT'],
    }),
  },
  approveBundle: {
    owner: async (f) => ({
      path: `/v1/bundles/${await activeHash(f)}/approve`,
      body: {},
      expect: [409, 'STORE_CONFLICT'],
    }),
    approver: async (f) => ({
      path: `/v1/bundles/${await activeHash(f)}/approve`,
      body: {},
      expect: [409, 'STORE_CONFLICT'],
    }),
  },
  rejectBundle: {
    owner: async (f) => ({
      path: `/v1/bundles/${await activeHash(f)}/reject`,
      body: { rationale: 'no' },
      expect: [409, 'STORE_CONFLICT'],
    }),
    approver: async (f) => ({
      path: `/v1/bundles/${await activeHash(f)}/reject`,
      body: { rationale: 'no' },
      expect: [409, 'STORE_CONFLICT'],
    }),
  },
  fileRequest: {
    requester: () => ({
      path: '/v1/requests',
      body: { request: ENGINEER_KEY, justification: 'metrics' },
      expect: 201,
    }),
    admin: () => ({
      path: '/v1/requests',
      body: {
        request: {
          ...ENGINEER_KEY,
          resource: { new: { name: 'alice-key', kind: 'api_key', system: 'tokens' } },
        },
        justification: 'mine',
      },
      expect: 201,
    }),
    // An owner files exceptions only, for identities they own (policy then decides: denied, 201).
    owner: () => ({
      path: '/v1/requests',
      body: { request: EXCEPTION, justification: 'freeze' },
      expect: 201,
    }),
  },
  approveRun: {
    approver: async (f) => {
      const run = await evesRun(f, 'key');
      const key = await approverKey(f.service, 'person:alice').catch(() => undefined);
      return {
        path: `/v1/runs/${run.id}/approve`,
        body: { approval: signed(key ?? (await keyOf(f)), run) },
        expect: 200,
      };
    },
  },
  denyRun: {
    approver: async (f) => {
      const run = await evesRun(f, 'key');
      return {
        path: `/v1/runs/${run.id}/deny`,
        body: { approval: signed(await keyOf(f), run, 'deny') },
        expect: 200,
      };
    },
  },
  advanceRun: {
    requester: async (f) => ({ path: `/v1/runs/${(await evesRun(f, 'key')).id}/advance`, expect: 200 }),
    admin: async (f) => ({ path: `/v1/runs/${(await evesRun(f)).id}/advance`, expect: 200 }),
  },
  // Awaiting approval, a run cannot be resumed or rolled back: authorization passed, the state refuses.
  resumeRun: {
    requester: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/resume`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
    owner: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/resume`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
    admin: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/resume`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
  },
  rollbackRun: {
    requester: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/rollback`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
    owner: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/rollback`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
    admin: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/rollback`,
      expect: [409, 'RUN_TRANSITION_INVALID'],
    }),
  },
  abortRun: {
    requester: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/abort`,
      body: { reason: 'changed my mind' },
      expect: 200,
    }),
    owner: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/abort`,
      body: { reason: 'not needed' },
      expect: 200,
    }),
    admin: async (f) => ({
      path: `/v1/runs/${(await evesRun(f)).id}/abort`,
      body: { reason: 'cleanup' },
      expect: 200,
    }),
  },
  reviewBreakGlass: {
    approver: () => ({
      path: '/v1/grants/grant_none/review',
      body: { verdict: 'appropriate', rationale: 'ok' },
      expect: [404, 'NOT_FOUND'],
    }),
    owner: () => ({
      path: '/v1/grants/grant_none/review',
      body: { verdict: 'appropriate', rationale: 'ok' },
      expect: [404, 'NOT_FOUND'],
    }),
  },
  signCheckpoint: { admin: () => ({ path: '/v1/ledger/checkpoints', body: {}, expect: 201 }) },
  issueApiToken: {
    admin: () => ({
      path: '/v1/api-tokens',
      body: { principal: 'person:dan', name: 'dan laptop' },
      expect: 201,
    }),
  },
  // Anyone may revoke their own token; only an admin someone else's.
  revokeApiToken: {
    requester: async (f) => ({ path: `/v1/api-tokens/${await spare(f, 'person:eve')}`, expect: 200 }),
    approver: async (f) => ({
      path: `/v1/api-tokens/${await spare(f, 'person:eve')}`,
      expect: [403, 'FORBIDDEN'],
    }),
    owner: async (f) => ({
      path: `/v1/api-tokens/${await spare(f, 'person:eve')}`,
      expect: [403, 'FORBIDDEN'],
    }),
    auditor: async (f) => ({ path: `/v1/api-tokens/${await spare(f, 'person:sara')}`, expect: 200 }),
    admin: async (f) => ({ path: `/v1/api-tokens/${await spare(f, 'person:eve')}`, expect: 200 }),
  },
};

async function activeHash(f: ApiFixture): Promise<string> {
  const { items } = await f.service.listBundles({ principal: 'person:alice' }, {});
  return items.find((v) => v.status === 'active')!.hash;
}

const keys = new WeakMap<ApiFixture, Awaited<ReturnType<typeof approverKey>>>();
async function keyOf(f: ApiFixture) {
  let key = keys.get(f);
  if (key === undefined) {
    key = await approverKey(f.service, 'person:alice');
    keys.set(f, key);
  }
  return key;
}

async function spare(f: ApiFixture, principal: string): Promise<string> {
  return (await f.service.issueApiToken({ principal: 'person:alice' }, { principal, name: 'spare' })).id;
}

for (const kind of storeKinds()) {
  describe(`roles against mutating endpoints on ${kind.name}`, () => {
    let f: ApiFixture;
    beforeAll(async () => {
      f = await createApiFixture(kind);
    });
    afterAll(async () => {
      await f.close();
    });

    for (const name of WRITES) {
      const access = OPERATIONS[name].access;
      for (const role of ROLE_NAMES) {
        const admitted = access === 'authenticated' || (Array.isArray(access) && access.includes(role));
        it(`${name} as ${role}: ${admitted ? 'admitted' : 'FORBIDDEN'}`, async () => {
          const route = ROUTE_OF[name];
          const build = ALLOWED[name]?.[role];
          if (!admitted) {
            const sample = Object.values(ALLOWED[name] ?? {})[0];
            const c = sample === undefined ? undefined : await sample(f);
            const path = c?.path ?? route.path.replace(/\{[A-Za-z]+\}/g, 'x');
            const before = await f.custos.ledger.size();
            const answer = await f.request(route.method, path, { token: f.roles[role], body: c?.body ?? {} });
            expect(answer.status).toBe(403);
            expect(answer.json).toMatchObject({ code: 'FORBIDDEN', details: { operation: name } });
            expect(answer.json['details']).toHaveProperty('requires');
            expect(await f.custos.ledger.size()).toBe(before);
            return;
          }
          expect(build, `an expectation for ${name} as ${role}`).toBeDefined();
          const c = await build!(f);
          const answer = await f.request(route.method, c.path, {
            token: f.roles[role],
            ...(c.body === undefined ? {} : { body: c.body }),
          });
          const [status, code] = typeof c.expect === 'number' ? [c.expect, undefined] : c.expect;
          expect({ status: answer.status, code: answer.json['code'] }).toEqual({ status, code });
        });
      }
    }
  });
}
