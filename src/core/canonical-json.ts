/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * - object members sorted by their names as UTF-16 code units (§3.2.3), recursively;
 * - numbers serialised as ECMAScript Number::toString (§3.2.2.3), which JSON.stringify does;
 *   NaN and ±Infinity are not JSON and are rejected;
 * - strings serialised as JSON.stringify does (§3.2.2.2), but lone surrogates are rejected
 *   because I-JSON (RFC 7493) forbids them;
 * - no whitespace.
 * Only plain data is accepted: null, booleans, finite numbers, strings, arrays and plain objects.
 * This file only imports the error base so the standalone verifier can use it.
 */
import { CustosError } from './errors.js';

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

// A lone high surrogate not followed by a low one, or a lone low surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, 'is not a finite number');
      out.push(JSON.stringify(value));
      return;
    case 'string':
      if (LONE_SURROGATE.test(value)) throw invalid(path, 'contains a lone surrogate');
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw invalid(path, `has unsupported type ${typeof value}`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      write(item, out, `${path}[${i}]`);
    });
    out.push(']');
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw invalid(path, 'is not a plain object');
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, exactly as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(record).sort();
  out.push('{');
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue; // absent, as JSON.stringify does
    if (LONE_SURROGATE.test(key)) throw invalid(`${path}.${key}`, 'name contains a lone surrogate');
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(key), ':');
    write(member, out, `${path}.${key}`);
  }
  out.push('}');
}

function invalid(path: string, what: string): CustosError {
  return new CustosError('CANONICAL_JSON_INVALID', `value at ${path} ${what}`, { details: { path } });
}

/**
 * Parses bytes that must already be canonical (attacker-controlled input): strict UTF-8, valid
 * JSON, and byte-identical to their own canonical form (so duplicate names, unsorted members,
 * whitespace, escaped forms and imprecise numbers are all rejected).
 */
export function parseCanonical(text: string): JsonValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CustosError('RECORD_MALFORMED', 'not valid JSON', { cause });
  }
  let again: string;
  try {
    again = canonicalize(parsed);
  } catch (cause) {
    throw new CustosError('RECORD_NONCANONICAL', 'JSON that cannot be canonicalised', { cause });
  }
  if (again !== text) throw new CustosError('RECORD_NONCANONICAL', 'JSON is not in RFC 8785 canonical form');
  return parsed as JsonValue;
}
