/**
 * The OpenAPI 3.1 document: generated from the route table and the request schemas, served as is at
 * /openapi.json. Every route and operation is in it, every `$ref` resolves, every write declares its
 * Idempotency-Key, parameters and bodies match the schemas that validate them, and every error code
 * has a status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { ROUTES, STATUS_OF, openApiDocument } from '../../src/api/index.js';
import { pathParams } from '../../src/api/routes.js';
import { OPERATIONS, OPERATION_NAMES } from '../../src/service/index.js';
import { storeKinds } from '../support/stores.js';
import { createApiFixture, type ApiFixture } from './http-support.js';

type Json = Record<string, unknown>;

function resolve(doc: Json, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument({ version: 'test' });
  const paths = doc['paths'] as Record<string, Record<string, Json>>;

  it('is OpenAPI 3.1 with every route, each a unique operation', () => {
    expect(doc['openapi']).toBe('3.1.0');
    const ids = new Set<string>();
    for (const route of ROUTES) {
      const op = paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(ids.has(op!['operationId'] as string)).toBe(false);
      ids.add(op!['operationId'] as string);
    }
    for (const name of OPERATION_NAMES) expect(ids.has(name), name).toBe(true);
    for (const infra of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
      expect(paths[infra]?.['get']).toBeDefined();
  });

  it('resolves every $ref within the document', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(ROUTES.length);
    for (const ref of all) expect(resolve(doc, ref), ref).toBeTypeOf('object');
  });

  it('declares parameters, bodies, idempotency and security as the server applies them', () => {
    for (const route of ROUTES) {
      const op = OPERATIONS[route.operation];
      const object = paths[route.path]![route.method.toLowerCase()]!;
      const params = object['parameters'] as { name: string; in: string; required: boolean }[];
      const inPath = pathParams(route.path);
      expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
      const fields = Object.keys(op.input.shape).filter((k) => !inPath.includes(k));
      if (route.method === 'GET') {
        expect(
          params
            .filter((p) => p.in === 'query')
            .map((p) => p.name)
            .sort(),
        ).toEqual([...fields].sort());
        expect(object['requestBody']).toBeUndefined();
      } else if (fields.length > 0) {
        const ref = ((object['requestBody'] as Json)['content'] as Record<string, Json>)['application/json']![
          'schema'
        ] as Json;
        const schema = resolve(doc, ref['$ref'] as string) as Json;
        expect(Object.keys(schema['properties'] as Json).sort()).toEqual([...fields].sort());
        expect(schema['additionalProperties']).toBe(false);
        const required = fields.filter(
          (k) =>
            !(op.input.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>)[
              k
            ]!.safeParse(undefined).success,
        );
        expect(((schema['required'] as string[] | undefined) ?? []).sort()).toEqual(required.sort());
      }
      const idem = params.find((p) => p.name === 'Idempotency-Key');
      expect(idem?.required ?? false, `${route.operation} Idempotency-Key`).toBe(op.writes);
      expect(object['security']).toEqual(op.access === 'public' ? [] : [{ bearerAuth: [] }]);
      const responses = object['responses'] as Json;
      expect(Object.keys(responses)).toEqual([String(route.status ?? 200), 'default']);
    }
  });

  it('gives every error code a status and lists them in the problem schema', () => {
    for (const code of ERROR_CODES) expect(STATUS_OF[code], code).toBeGreaterThanOrEqual(400);
    const problem = ((doc['components'] as Json)['schemas'] as Record<string, Json>)['Problem']!;
    expect(((problem['properties'] as Json)['code'] as Json)['enum']).toEqual([...ERROR_CODES]);
  });
});

describe('the served document', () => {
  const kind = storeKinds()[0]!;
  let f: ApiFixture;
  beforeAll(async () => {
    f = await createApiFixture(kind);
  });
  afterAll(async () => {
    await f.close();
  });

  it('is the generated one, public, as JSON', async () => {
    const answer = await f.request('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.json).toEqual(JSON.parse(JSON.stringify(openApiDocument({ version: '1' }))));
  });
});
