/**
 * Fuzz, on both stores: more than 10,000 malformed requests (fast-check, fixed seed) — unknown and
 * known routes with hostile parameters, every method, missing, bad and valid tokens, broken and
 * hostile bodies (not JSON, not UTF-8, too deep, too large, wrong media type, valid bodies with a
 * field removed, retyped or added) — then raw garbage on the socket. No answer is a 5xx, the
 * server keeps answering, and nothing is written: the ledger and every table a write touches keep
 * their size.
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/index.js';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';
import { CI_TOKEN, ENGINEER_KEY } from './support.js';

const REQUESTS = 10_500;
const SEED = 20_251_121;
const TABLES = [
  'runs',
  'api_tokens',
  'api_idempotency',
  'bundle_versions',
  'approver_keys',
  'inventory_principals',
  'inventory_systems',
  'grants',
  'ledger_checkpoints',
];

interface Fuzzed {
  readonly method: string;
  readonly path: string;
  readonly token: 'none' | 'garbage' | 'requester' | 'approver' | 'owner' | 'auditor' | 'admin';
  readonly contentType: string | undefined;
  readonly key: string | undefined;
  readonly body: string | Uint8Array | undefined;
}

const param = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    'run_x',
    'sha256:00',
    '%',
    '%zz',
    '%E0%A4%A',
    '..',
    'person:eve',
    'payments-api-token',
    '%2F%2F',
    'a'.repeat(300),
  ),
);
const query = fc
  .dictionary(
    fc.constantFrom(
      'limit',
      'after',
      'state',
      'index',
      'size',
      'from',
      'to',
      'system',
      'requester',
      'principal',
      'identity',
      'subjectKind',
      '__proto__',
      'x',
    ),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer().map(String),
      fc.constantFrom('-1', '0', '1e3', 'NaN', 'true', '99999999999999999999'),
    ),
    { maxKeys: 3 },
  )
  .map((q) => new URLSearchParams(q).toString());
const path = fc
  .tuple(
    fc.oneof(
      fc.webPath(),
      fc.constantFrom('/', '/v1', '/v1/', '/healthz/', '//v1/runs', '/v1/runs/', '/metrics', '/readyz'),
    ),
    fc.option(query),
  )
  .map(([p, q]) => (q === null || q === '' ? p : `${p}?${q}`));

const valid = fc.constantFrom<Record<string, unknown>>(
  { request: CI_TOKEN, justification: 'fuzz' },
  { request: ENGINEER_KEY, justification: 'fuzz' },
  { type: 'tokens', environment: 'dev', owner: 'group:platform', connection: {} },
  { principal: 'person:eve', name: 'fuzz' },
  { reason: 'fuzz' },
  { verdict: 'appropriate', rationale: 'fuzz' },
  { format: 'yaml', text: 'principals: []' },
);
/** A valid body made invalid: a field dropped or retyped, and an unknown field added. */
const mutated = fc.tuple(valid, fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([body, n, junk]) => {
  const copy: Record<string, unknown> = { ...body };
  const keys = Object.keys(copy);
  const k = keys[n % keys.length]!;
  const kept =
    n % 2 === 0
      ? Object.fromEntries(Object.entries(copy).filter(([key]) => key !== k))
      : { ...copy, [k]: junk };
  return JSON.stringify({ ...kept, fuzz: junk });
});
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  mutated,
  fc.string({ maxLength: 100 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: 30, max: 200 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.integer({ min: 17_000, max: 40_000 }).map((n) => JSON.stringify({ justification: 'x'.repeat(n) })),
  fc.constantFrom(
    '{"request":',
    '{"__proto__":{"admin":true}}',
    '[]',
    'null',
    '{"a":1e999}',
    '"\\ud800"',
    '{}',
  ),
);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
/** Mostly a real route with its own method (so the request reaches validation), else anything. */
const target = fc.oneof(
  {
    weight: 7,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROUTES), fc.array(param, { minLength: 3, maxLength: 3 }), fc.option(query))
      .map(([route, values, q]) => {
        let i = 0;
        const p = route.path.replace(/\{[A-Za-z]+\}/g, () => values[i++ % 3]!);
        return { method: route.method, path: q === null || q === '' ? p : `${p}?${q}` };
      }),
  },
  { weight: 3, arbitrary: fc.record({ method: fc.constantFrom(...METHODS), path }) },
);
const fuzzed: fc.Arbitrary<Fuzzed> = fc
  .record({
    target,
    token: fc.constantFrom('none', 'garbage', 'requester', 'approver', 'owner', 'auditor', 'admin'),
    contentType: fc.constantFrom(
      'application/json',
      'application/json',
      'text/plain',
      undefined,
      'application/json; charset=utf-8',
    ),
    key: fc.option(fc.oneof(fc.uuid(), fc.uuid(), fc.constantFrom('', 'k', 'x'.repeat(200))), {
      nil: undefined,
    }),
    body,
  })
  .map(({ target: t, ...rest }) => ({ ...rest, method: t.method, path: t.path }));

/**
 * A request a valid token could make succeed is made malformed: a write always carries an unknown
 * body field (or a body that is no JSON object at all); a read sometimes an unknown parameter.
 */
function malformed(r: Fuzzed, i: number): Fuzzed {
  if (r.token === 'none' || r.token === 'garbage') return r;
  if (r.method === 'GET' || r.method === 'HEAD') {
    return i % 2 === 0 ? r : { ...r, path: `${r.path}${r.path.includes('?') ? '&' : '?'}fuzz=1` };
  }
  if (r.body === undefined) return { ...r, body: '{"fuzz":1}' };
  if (typeof r.body !== 'string') return r;
  try {
    const parsed: unknown = JSON.parse(r.body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return { ...r, body: JSON.stringify({ ...parsed, fuzz: 1 }) };
    }
  } catch {
    // not JSON: malformed already
  }
  return r;
}

async function counts(f: ApiFixture): Promise<Record<string, number>> {
  const out: Record<string, number> = { ledger: await f.custos.ledger.size() };
  for (const table of TABLES) {
    const [row] = await f.custos.store.read.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = row!.n;
  }
  return out;
}

function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

for (const kind of storeKinds()) {
  describe(`fuzz on ${kind.name}`, () => {
    let f: ApiFixture;
    let tokens: Record<string, string>;
    beforeAll(async () => {
      f = await createApiFixture(kind, { maxBodyBytes: 16 * 1024 });
      tokens = { ...f.roles, garbage: 'cst_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
      await f.service.fileRequest(
        { principal: 'person:eve' },
        { request: ENGINEER_KEY, justification: 'a run to read' },
      );
    });
    afterAll(async () => {
      await f.close();
    });

    it(`answers ${REQUESTS} malformed requests without a 5xx, writing nothing`, async () => {
      const before = await counts(f);
      const samples = fc.sample(fuzzed, { numRuns: REQUESTS, seed: SEED }).map(malformed);
      const statuses = new Map<number, number>();
      const codes = new Map<string, number>();
      const failures: string[] = [];
      let sent = 0;
      const send = async (r: Fuzzed) => {
        const headers: Record<string, string> = {};
        if (r.token !== 'none') headers['authorization'] = `Bearer ${tokens[r.token]!}`;
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.key !== undefined) headers['idempotency-key'] = r.key;
        const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
        const res = await fetch(`${f.url}${r.path.startsWith('/') ? r.path : `/${r.path}`}`, {
          method: r.method,
          headers,
          ...(hasBody ? { body: r.body } : {}),
        });
        const text = await res.text();
        const code =
          res.status >= 400
            ? (/"code":"([A-Z_]+)"/.exec(text)?.[1] ?? String(res.status))
            : String(res.status);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          failures.push(`${res.status} ${r.method} ${r.path} ${String(r.body).slice(0, 200)}`);
      };
      for (let i = 0; i < samples.length; i += 16) await Promise.all(samples.slice(i, i + 16).map(send));
      console.log(
        `[fuzz ${kind.name}] ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ` +
          `codes ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`,
      );
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThanOrEqual(10_000);
      expect(f.logs.filter((l) => l.code === 'INTERNAL_ERROR')).toEqual([]);
      expect(await counts(f)).toEqual(before);
      expect((await f.request('GET', '/healthz')).status).toBe(200);
      expect((await f.request('GET', '/v1/whoami', { token: f.roles.auditor })).status).toBe(200);
    });

    it('survives raw garbage on the socket', async () => {
      const lines = fc.sample(fc.string({ maxLength: 200, unit: 'binary-ascii' }), {
        numRuns: 200,
        seed: SEED,
      });
      for (const line of [
        ...lines,
        'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
        'POST /v1/requests HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ]) {
        const answer = await raw(f.url, `${line}\r\n\r\n`);
        expect(answer.startsWith('HTTP/1.1 5'), answer.slice(0, 40)).toBe(false);
      }
      expect((await f.request('GET', '/healthz')).status).toBe(200);
    });
  });
}
