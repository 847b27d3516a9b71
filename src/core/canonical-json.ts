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
// A character JSON.stringify escapes (quote, backslash, C0 controls) or any surrogate. A string
// without one serialises as itself between quotes, which is what almost every record string is.
const SPECIAL = /["\\\u0000-\u001f\uD800-\uDFFF]/;

/*
 * Speed: canonicalisation runs twice per append and once per record verified, so there is a fast
 * path (string concatenation, no path strings, no JSON.stringify for plain strings). It gives up,
 * returning undefined, on anything unusual (an invalid value, a sparse array, ...); the original
 * path-tracking serialiser then runs and produces exactly the output or error it always did.
 */

export function canonicalize(value: unknown): string {
  const fast = canonicalizeFast(value);
  if (fast !== undefined) return fast;
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

/**
 * canonicalize(value) when the fast path can decide it; undefined when it cannot, and then
 * canonicalize(value) gives the verdict (its text, or its CANONICAL_JSON_INVALID error).
 */
export function canonicalizeFast(value: unknown): string | undefined {
  try {
    return serialize(value);
  } catch {
    return undefined; // e.g. RangeError on deep nesting: the careful path decides
  }
}

/** JSON.stringify of a string that is not I-JSON-invalid; undefined for a lone surrogate. */
function quote(s: string): string | undefined {
  if (!SPECIAL.test(s)) return `"${s}"`;
  return LONE_SURROGATE.test(s) ? undefined : JSON.stringify(s);
}

/** Object keys in RFC 8785 order (Object.keys is usually sorted already for parsed/built records). */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) return keys.sort();
  }
  return keys;
}

/** The fast serialiser: the canonical text, or undefined when the careful path must decide. */
function serialize(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // Number::toString, as JSON.stringify (and String(-0) is "0" too).
      return Number.isFinite(value) ? String(value) : undefined;
    case 'string':
      return quote(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      if (!(i in items)) return undefined; // a hole: forEach in the careful path skips it
      const item = serialize(items[i]);
      if (item === undefined) return undefined;
      out = i === 0 ? out + item : `${out},${item}`;
    }
    return `${out}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of sortedKeys(record)) {
    const member = record[key];
    if (member === undefined) continue;
    const name = quote(key);
    if (name === undefined) return undefined;
    const text = serialize(member);
    if (text === undefined) return undefined;
    out = first ? `${out}${name}:${text}` : `${out},${name}:${text}`;
    first = false;
  }
  return `${out}}`;
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
  const fast = parseCanonicalFast(text);
  if (fast !== undefined) return fast as JsonValue;
  // Not plainly canonical: parse, decide and pick the error exactly as always.
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


/*
 * The fast path of parseCanonical: one pass that parses AND checks canonical form, for the common
 * text with no backslash, no control character and no surrogate anywhere (so no escapes; a string
 * token runs to the next quote and is its own canonical form). It is sound, never complete: it
 * returns a value only when the text is exactly canonicalize(JSON.parse(text)) and the value is
 * what JSON.parse would return; on anything else (escapes, whitespace, unsorted or duplicate names,
 * `__proto__`, a non-canonical number, invalid JSON, nesting too deep) it returns undefined and
 * parseCanonical's careful path decides. Object names must be strictly increasing (sorted by UTF-16
 * code units, no duplicates); a number token must equal String(Number(token)) (Number::toString).
 */
const UNUSUAL = /[\u0000-\u001f\\\uD800-\uDFFF]/;

let src = '';
let at = 0;

function parseCanonicalFast(text: string): unknown {
  if (UNUSUAL.test(text)) return undefined;
  src = text;
  at = 0;
  try {
    const value = fastValue();
    return at === text.length ? value : undefined;
  } catch {
    return undefined; // e.g. RangeError on deep nesting: let the careful path handle it
  } finally {
    src = '';
  }
}

/** The value at `at`, advancing past it; undefined when not plainly canonical. */
function fastValue(): unknown {
  const c = src.charCodeAt(at);
  if (c === 0x22) return fastString(); // "
  if (c === 0x7b) {
    // {
    at++;
    const record: Record<string, unknown> = {};
    if (src.charCodeAt(at) === 0x7d) {
      at++;
      return record;
    }
    let previous: string | undefined;
    for (;;) {
      if (src.charCodeAt(at) !== 0x22) return undefined;
      const key = fastString();
      if (key === undefined || key === '__proto__' || (previous !== undefined && !(previous < key))) {
        return undefined;
      }
      previous = key;
      if (src.charCodeAt(at) !== 0x3a) return undefined; // :
      at++;
      const member = fastValue();
      if (member === undefined) return undefined;
      record[key] = member;
      const next = src.charCodeAt(at++);
      if (next === 0x7d) return record; // }
      if (next !== 0x2c) return undefined; // ,
    }
  }
  if (c === 0x5b) {
    // [
    at++;
    const items: unknown[] = [];
    if (src.charCodeAt(at) === 0x5d) {
      at++;
      return items;
    }
    for (;;) {
      const item = fastValue();
      if (item === undefined) return undefined;
      items.push(item);
      const next = src.charCodeAt(at++);
      if (next === 0x5d) return items; // ]
      if (next !== 0x2c) return undefined; // ,
    }
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d) return fastNumber();
  for (const [word, literal] of LITERALS) {
    if (src.startsWith(word, at)) {
      at += word.length;
      return literal;
    }
  }
  return undefined;
}

const LITERALS: readonly (readonly [string, null | boolean])[] = [
  ['null', null],
  ['true', true],
  ['false', false],
];

function fastString(): string | undefined {
  const end = src.indexOf('"', at + 1);
  if (end < 0) return undefined;
  const s = src.slice(at + 1, end);
  at = end + 1;
  return s;
}

function isNumberChar(c: number): boolean {
  // 0-9 - + . e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

function fastNumber(): number | undefined {
  let end = at;
  while (isNumberChar(src.charCodeAt(end))) end++;
  const token = src.slice(at, end);
  const n = Number(token);
  // Only Number::toString's own spelling is canonical (and it is always a valid JSON number).
  if (String(n) !== token) return undefined;
  at = end;
  return n;
}
