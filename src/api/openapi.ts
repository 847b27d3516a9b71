/**
 * The OpenAPI 3.1 document, generated from the route table and the very zod schemas that validate
 * requests (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Every operation's
 * body and answer is a named component; definitions a schema nests (`$defs`) are hoisted into
 * components too, so every `$ref` resolves within the document.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../core/errors.js';
import { OPERATIONS } from '../service/index.js';
import { ROUTES, pathParams, type Route } from './routes.js';
import { IDEMPOTENCY_KEY } from './idempotency.js';

type Json = Record<string, unknown>;

export function openApiDocument(options: { readonly version: string; readonly serverUrl?: string }): Json {
  const components: Record<string, Json> = { Problem: problemSchema() };
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationObject(route, components);
  }
  Object.assign(paths, infrastructurePaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'Custos API',
      version: options.version,
      description:
        'Accountable automation for non-human identities. Errors are application/problem+json (RFC 9457) ' +
        'with a stable `code`; every write needs an Idempotency-Key.',
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token: cst_<id>_<secret>' },
      },
      responses: {
        Problem: {
          description: 'An error (RFC 9457)',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  };
}

function operationObject(route: Route, components: Record<string, Json>): Json {
  const name = route.operation;
  const op = OPERATIONS[name];
  const shape = op.input.shape as Record<string, z.ZodType>;
  const inPath = pathParams(route.path);
  const rest = Object.keys(shape).filter((k) => !inPath.includes(k));
  const parameters: Json[] = inPath.map((p) => ({
    name: p,
    in: 'path',
    required: true,
    schema: inline(shape[p]!),
  }));
  if (route.method === 'GET') {
    for (const q of rest) {
      parameters.push({ name: q, in: 'query', required: !optional(shape[q]!), schema: inline(shape[q]!) });
    }
  }
  if (op.writes) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description: 'A unique key per intended change: a retry with the same key and body replays the answer',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
    });
  }
  const base = name.charAt(0).toUpperCase() + name.slice(1);
  const responseName = `${base}Response`;
  components[responseName] ??= named(op.output, responseName, components, 'output');
  const object: Json = {
    operationId: route.path.startsWith('/.well-known/') ? `${name}WellKnown` : name,
    summary: op.summary,
    tags: [route.path.split('/')[route.path.startsWith('/v1/') ? 2 : 1]],
    security: op.access === 'public' ? [] : [{ bearerAuth: [] }],
    'x-custos-access': op.access,
    'x-custos-writes': op.writes,
    parameters,
    responses: {
      [String(route.status ?? 200)]: {
        description: op.summary,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${responseName}` } } },
      },
      default: { $ref: '#/components/responses/Problem' },
    },
  };
  if (route.method !== 'GET' && rest.length > 0) {
    const requestName = `${base}Request`;
    const body = z.strictObject(Object.fromEntries(rest.map((k) => [k, shape[k]!])));
    components[requestName] ??= named(body, requestName, components, 'input');
    object['requestBody'] = {
      required: rest.some((k) => !optional(shape[k]!)),
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestName}` } } },
    };
  }
  return object;
}

/** A schema as a component: its `$defs` become components `<name>_<def>`. */
function named(
  schema: z.ZodType,
  name: string,
  components: Record<string, Json>,
  io: 'input' | 'output',
): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (json['$defs'] ?? {}) as Record<string, Json>;
  delete json['$defs'];
  delete json['$schema'];
  const rename = (ref: string): string =>
    ref === '#'
      ? `#/components/schemas/${name}`
      : ref.replace(/^#\/\$defs\//, `#/components/schemas/${name}_`);
  for (const [def, body] of Object.entries(defs))
    components[`${name}_${def}`] = rewriteRefs(body, rename) as Json;
  return rewriteRefs(json, rename) as Json;
}

function inline(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  delete json['$schema'];
  return json;
}

function rewriteRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? rename(v) : rewriteRefs(v, rename),
    ]),
  );
}

function optional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

function problemSchema(): Json {
  return {
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', description: 'urn:custos:error:<code>' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      code: { type: 'string', enum: [...ERROR_CODES] },
      details: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
      retryable: { type: 'boolean' },
      problems: {
        type: 'array',
        items: { type: 'object' },
        description: 'every problem of an import or a bundle',
      },
    },
  };
}

function infrastructurePaths(): Record<string, Record<string, Json>> {
  const plain = (summary: string, type: string, schema: Json): Record<string, Json> => ({
    get: {
      operationId: summary.split(' ')[0]!.toLowerCase(),
      summary,
      security: [],
      responses: { '200': { description: summary, content: { [type]: { schema } } } },
    },
  });
  return {
    '/healthz': plain('Liveness: the process answers', 'application/json', { type: 'object' }),
    '/readyz': plain(
      'Readiness: store reachable, migrations applied, ledger present (else 503)',
      'application/json',
      {
        type: 'object',
      },
    ),
    '/openapi.json': plain('This document', 'application/json', { type: 'object' }),
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (any authenticated principal)',
        security: [{ bearerAuth: [] }],
        responses: {
          '200': {
            description: 'text exposition format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          default: { $ref: '#/components/responses/Problem' },
        },
      },
    },
  };
}
