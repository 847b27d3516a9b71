/**
 * Field readers for untrusted entries (attacker-controlled: files, API bodies). Each reads one
 * field, reports a precise problem when it is wrong, and never echoes the value. `null` counts as
 * absent: an update keeps the stored value of an absent field.
 */
import { isPrincipalId } from './principal-id.js';
import { looksLikeSecret } from './secret-ref.js';
import type { Problems } from './problems.js';

export type Obj = Readonly<Record<string, unknown>>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function join(prefix: string, key: string | number): string {
  return prefix === '' ? String(key) : `${prefix}.${key}`;
}

export function readObject(value: unknown, field: string, p: Problems): Obj | undefined {
  if (value === undefined || value === null) return undefined;
  if (isObj(value)) return value;
  p.add(field, 'FIELD_INVALID', 'must be a mapping');
  return undefined;
}

export function checkKnown(obj: Obj, allowed: readonly string[], prefix: string, p: Problems): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      p.add(join(prefix, key), 'UNKNOWN_FIELD', `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

/** A string (numbers are taken as their decimal text, as YAML and CSV users expect). */
export function readString(
  value: unknown,
  field: string,
  p: Problems,
  format?: { readonly pattern: RegExp; readonly describe: string },
): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text.length === 0 || text.length > 1000) {
    p.add(field, 'FIELD_INVALID', 'must be a non-empty string of at most 1000 characters');
    return undefined;
  }
  if (looksLikeSecret(text)) {
    p.add(
      field,
      'SECRET_NOT_REFERENCE',
      'holds what looks like a private key; secrets never enter the inventory',
    );
    return undefined;
  }
  if (format !== undefined && !format.pattern.test(text)) {
    p.add(field, 'FIELD_INVALID', `must be ${format.describe}`);
    return undefined;
  }
  return text;
}

export function readEnum<T extends string>(
  value: unknown,
  values: readonly T[],
  field: string,
  p: Problems,
): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  p.add(field, 'ENUM_INVALID', `must be one of ${values.join(', ')}`);
  return undefined;
}

export function readPrincipalId(value: unknown, field: string, p: Problems): string | undefined {
  const id = readString(value, field, p);
  if (id === undefined) return undefined;
  if (isPrincipalId(id)) return id;
  p.add(field, 'FIELD_INVALID', 'must be a principal id: person:<name>, group:<name> or service:<name>');
  return undefined;
}

const DATE = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/;

/** An RFC 3339 date or date-time with a zone, normalised to UTC with milliseconds. */
export function readDate(value: unknown, field: string, p: Problems): string | undefined {
  const text = readString(value, field, p);
  if (text === undefined) return undefined;
  const ms = DATE.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    p.add(field, 'FIELD_INVALID', 'must be an RFC 3339 date or date-time with a time zone');
    return undefined;
  }
  return new Date(ms).toISOString();
}

/** A list of strings, sorted and without duplicates (so equal sets compare equal). */
export function readStringList<T extends string = string>(
  value: unknown,
  field: string,
  p: Problems,
  read: (item: unknown, field: string) => T | undefined = (item, f) =>
    readString(item, f, p) as T | undefined,
): T[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    p.add(field, 'FIELD_INVALID', 'must be a list');
    return undefined;
  }
  const before = p.list.length;
  const items = value.map((item, i) => read(item, join(field, i)));
  if (p.list.length > before) return undefined;
  return [...new Set(items as T[])].sort();
}

/** Drops undefined members, so optional fields stay absent (exactOptionalPropertyTypes). */
export function compact<T extends Record<string, unknown>>(
  obj: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** Reads the required id of an entry; undefined (with a problem) when it is missing or malformed. */
export function readId(
  entry: Obj,
  p: Problems,
  read: (value: unknown, field: string, p: Problems) => string | undefined,
): string | undefined {
  if (entry['id'] === undefined || entry['id'] === null) {
    p.add('id', 'FIELD_REQUIRED', 'every entry needs an id');
    return undefined;
  }
  return read(entry['id'], 'id', p);
}
