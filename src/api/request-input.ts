/**
 * An operation's input from an HTTP request: path parameters, plus for a GET the query string and
 * for other methods the JSON body (an object). Query values are strings: those whose schema is a
 * number or boolean are converted when they look like one (else the schema refuses them). A field
 * may come from one place only.
 */
import { z } from 'zod';
import { CustosError } from '../core/errors.js';
import { OPERATIONS, type OperationName } from '../service/index.js';
import type { Match } from './router.js';

const kinds = new Map<OperationName, ReadonlyMap<string, string>>();

/** The JSON Schema type of each input field (computed once per operation). */
function fieldKinds(name: OperationName): ReadonlyMap<string, string> {
  let known = kinds.get(name);
  if (known === undefined) {
    const shape = OPERATIONS[name].input.shape as Record<string, z.ZodType>;
    known = new Map(
      Object.entries(shape).map(([field, schema]) => {
        const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { type?: unknown };
        return [field, typeof json.type === 'string' ? json.type : 'other'];
      }),
    );
    kinds.set(name, known);
  }
  return known;
}

export function requestInput(match: Match, query: URLSearchParams, body: unknown): Record<string, unknown> {
  const name = match.route.operation;
  const fields: Record<string, unknown> = {};
  if (match.route.method === 'GET') {
    if (body !== undefined) throw invalid('body', 'a GET request has no body');
    const types = fieldKinds(name);
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      if (values.length > 1) throw invalid(key, `${key} is given more than once`);
      put(fields, key, convert(values[0]!, types.get(key)));
    }
  } else {
    if ([...query.keys()].length > 0)
      throw invalid('query', 'parameters of this request go in its JSON body');
    if (body !== undefined) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw invalid('body', 'the body is a JSON object');
      }
      for (const [key, value] of Object.entries(body)) put(fields, key, value);
    }
  }
  for (const param of Object.keys(match.params)) {
    if (Object.hasOwn(fields, param)) throw invalid(param, `${param} is given by the path`);
  }
  return { ...fields, ...match.params };
}

/** As an own property even for `__proto__` (assignment would set the prototype instead). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function convert(value: string, type: string | undefined): unknown {
  if ((type === 'integer' || type === 'number') && /^-?\d{1,16}$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function invalid(field: string, message: string): CustosError {
  return new CustosError('INPUT_INVALID', message, { details: { field } });
}
