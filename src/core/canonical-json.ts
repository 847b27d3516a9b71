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
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SPECIAL = /["\\\u0000-\u001f\uD800-\uDFFF]/;

/*
 * Speed: canonicalisation is on the hot path of every append, and its check of every record
 * verified, so both directions have a fast path. canonicalize: parts pushed onto one array and
 * joined once (no path strings, no JSON.stringify for plain strings); it gives up on anything
 * unusual (an invalid value, a sparse array, deep nesting) and the careful path-tracking serialiser
 * below then produces exactly the output or error it always did. parseCanonical: see
 * parseCanonicalFast at the end of this file.
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
  const parts: string[] = [];
  try {
    return emit(value, parts) ? parts.join('') : undefined;
  } catch {
    return undefined; // e.g. RangeError on deep nesting: the careful path decides
  }
}

/**
 * Object.keys(record) in RFC 8785 order: by UTF-16 code units, as the default sort and `<` both
 * compare. Objects have few members, so an insertion sort (free when already sorted) beats sort().
 */
export function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    if (!(keys[j]! > key)) continue;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * Pushes the canonical member text `"name":value` onto `parts` (for callers assembling an object
 * from members they sort themselves); false when canonicalize must decide.
 */
export function emitMember(name: string, value: unknown, parts: string[]): boolean {
  try {
    if (!emitString(name, parts)) return false;
    parts.push(':');
    return emit(value, parts);
  } catch {
    return false;
  }
}

/**
 * The fast serialiser: pushes the canonical text of `value` onto `parts` (joined once, into one
 * flat string: no chains of concatenated strings for the garbage collector to copy), or returns
 * false when the careful path must decide.
 */
function emit(value: unknown, parts: string[]): boolean {
  if (value === null) {
    parts.push('null');
    return true;
  }
  switch (typeof value) {
    case 'boolean':
      parts.push(value ? 'true' : 'false');
      return true;
    case 'number':
      if (!Number.isFinite(value)) return false;
      parts.push(String(value)); // Number::toString, as JSON.stringify (String(-0) is "0" too)
      return true;
    case 'string':
      return emitString(value, parts);
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    parts.push('[');
    for (let i = 0; i < items.length; i++) {
      if (!(i in items)) return false; // a hole: forEach in the careful path skips it
      if (i > 0) parts.push(',');
      if (!emit(items[i], parts)) return false;
    }
    parts.push(']');
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  parts.push('{');
  let first = true;
  for (const key of sortedKeys(record)) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) parts.push(',');
    first = false;
    if (!emitString(key, parts)) return false;
    parts.push(':');
    if (!emit(member, parts)) return false;
  }
  parts.push('}');
  return true;
}

/** Pushes JSON.stringify(s): s itself between quotes when nothing needs escaping; false for a lone surrogate. */
function emitString(s: string, parts: string[]): boolean {
  if (!SPECIAL.test(s)) {
    parts.push('"', s, '"');
    return true;
  }
  if (LONE_SURROGATE.test(s)) return false;
  parts.push(JSON.stringify(s));
  return true;
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
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNUSUAL = /[\u0000-\u001f\\\uD800-\uDFFF]/;

function parseCanonicalFast(text: string): unknown {
  if (UNUSUAL.test(text)) return undefined;
  const parser = new FastParser(text);
  try {
    const value = parser.value();
    return parser.at === text.length ? value : undefined;
  } catch {
    return undefined; // e.g. RangeError on deep nesting: let the careful path handle it
  }
}

class FastParser {
  at = 0;

  constructor(private readonly src: string) {}

  /** The value at `at`, advancing past it; undefined when not plainly canonical. */
  value(): unknown {
    const src = this.src;
    const c = src.charCodeAt(this.at);
    if (c === 0x22) return this.string(); // "
    if (c === 0x7b) {
      // {
      this.at++;
      const record: Record<string, unknown> = {};
      if (src.charCodeAt(this.at) === 0x7d) {
        this.at++;
        return record;
      }
      let previous: string | undefined;
      for (;;) {
        if (src.charCodeAt(this.at) !== 0x22) return undefined;
        const key = this.string();
        if (key === undefined || key === '__proto__' || (previous !== undefined && !(previous < key))) {
          return undefined;
        }
        previous = key;
        if (src.charCodeAt(this.at) !== 0x3a) return undefined; // :
        this.at++;
        const member = this.value();
        if (member === undefined) return undefined;
        record[key] = member;
        const next = src.charCodeAt(this.at++);
        if (next === 0x7d) return record; // }
        if (next !== 0x2c) return undefined; // ,
      }
    }
    if (c === 0x5b) {
      // [
      this.at++;
      const items: unknown[] = [];
      if (src.charCodeAt(this.at) === 0x5d) {
        this.at++;
        return items;
      }
      for (;;) {
        const item = this.value();
        if (item === undefined) return undefined;
        items.push(item);
        const next = src.charCodeAt(this.at++);
        if (next === 0x5d) return items; // ]
        if (next !== 0x2c) return undefined; // ,
      }
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) return this.number();
    if (src.startsWith('null', this.at)) {
      this.at += 4;
      return null;
    }
    if (src.startsWith('true', this.at)) {
      this.at += 4;
      return true;
    }
    if (src.startsWith('false', this.at)) {
      this.at += 5;
      return false;
    }
    return undefined;
  }

  private string(): string | undefined {
    const end = this.src.indexOf('"', this.at + 1);
    if (end < 0) return undefined;
    const s = this.src.slice(this.at + 1, end);
    this.at = end + 1;
    return s;
  }

  private number(): number | undefined {
    const src = this.src;
    let end = this.at;
    while (isNumberChar(src.charCodeAt(end))) end++;
    const token = src.slice(this.at, end);
    const n = Number(token);
    // Only Number::toString's own spelling is canonical (and it is always a valid JSON number).
    if (String(n) !== token) return undefined;
    this.at = end;
    return n;
  }
}

function isNumberChar(c: number): boolean {
  // 0-9 - + . e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}
