/**
 * How inventory entities appear in ledger records. Secrets are absent by construction (a
 * connection holds only references; credentials only fingerprints); connection settings named
 * like secrets are listed apart as `secretRefs` so no record field is named like a secret;
 * personal data appears only as vault commitments.
 */
import type { JsonValue } from '../core/canonical-json.js';
import type { Connection, Identity, System } from './model.js';
import { isSecretName } from './secret-ref.js';
import type { PlanItem } from './plan-types.js';

export type Payload = { readonly [k: string]: JsonValue };

/** Entities are plain JSON data (strings, numbers, booleans, null, arrays, objects). */
export function json(value: unknown): JsonValue {
  return value as JsonValue;
}

export function recordConnection(connection: Connection): JsonValue {
  const settings: Record<string, string | number | boolean> = {};
  const secretRefs: { setting: string; ref: string }[] = [];
  for (const [key, value] of Object.entries(connection).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (isSecretName(key)) secretRefs.push({ setting: key, ref: String(value) });
    else settings[key] = value;
  }
  return { settings, secretRefs };
}

export function recordSystem(system: System): JsonValue {
  return json({ ...system, connection: recordConnection(system.connection) });
}

export function recordIdentity(identity: Identity): JsonValue {
  return json(identity);
}

/** `{field: {from, to}}` for each changed field, in record form. */
export function recordChanges(
  item: PlanItem,
  form: (field: string, value: unknown) => JsonValue = (_f, v) => json(v ?? null),
): Payload {
  const before = (item.before ?? {}) as Record<string, unknown>;
  const after = item.after as unknown as Record<string, unknown>;
  return Object.fromEntries(
    item.changed.map((field) => [field, { from: form(field, before[field]), to: form(field, after[field]) }]),
  );
}

export function systemField(field: string, value: unknown): JsonValue {
  return field === 'connection' && value !== undefined
    ? recordConnection(value as Connection)
    : json(value ?? null);
}
