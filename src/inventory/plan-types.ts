/** What a batch of inventory input would change: the shared types of planning and applying. */
import type { Identity, PrincipalKind, Role, System } from './model.js';
import type { Problems } from './problems.js';
import type { StoredPrincipal } from './read-principals.js';
import type { IdentityInput } from './validate-identity.js';
import type { PrincipalInput } from './validate-principal.js';
import type { SystemInput } from './validate-system.js';

export type Action = 'create' | 'update' | 'unchanged';

/**
 * One entry to plan: `create` refuses an existing id, `upsert` creates or updates (imports and
 * updates of the service API). Planning adds its problems to the entry's own.
 */
export interface Candidate<I> {
  readonly input: I;
  readonly mode: 'create' | 'upsert';
  readonly problems: Problems;
}

export interface Batch {
  readonly principals: readonly Candidate<PrincipalInput>[];
  readonly systems: readonly Candidate<SystemInput>[];
  readonly identities: readonly Candidate<IdentityInput>[];
}

/** A principal as the batch wants it; personal data in cleartext (committed only when written). */
export interface PrincipalState {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly roles: readonly Role[];
  readonly groups: readonly string[];
  readonly displayName: string | null;
  readonly email: string | null;
}

interface ItemOf<K extends string, B, A> {
  readonly kind: K;
  readonly id: string;
  readonly action: Action;
  readonly before?: B;
  readonly after: A;
  /** Top-level fields that differ from the stored entity (every field on create). */
  readonly changed: readonly string[];
}

export type PrincipalItem = ItemOf<'principal', StoredPrincipal, PrincipalState>;
export type SystemItem = ItemOf<'system', System, System>;
export type IdentityItem = ItemOf<'identity', Identity, Identity>;
export type PlanItem = PrincipalItem | SystemItem | IdentityItem;

/** The stored state a batch is planned against: every entity it names or references. */
export interface View {
  readonly principals: ReadonlyMap<string, StoredPrincipal>;
  readonly systems: ReadonlyMap<string, System>;
  readonly identities: ReadonlyMap<string, Identity>;
  /** `externalKey(system, externalId)` → identity id, for the keys the batch's identities will have. */
  readonly external: ReadonlyMap<string, string>;
  readonly principalCount: number;
}

/** Field names whose values differ (by JSON value, key order ignored). */
export function changedFields<T extends object>(before: T | undefined, after: T): string[] {
  const keys = Object.keys(after) as (keyof T & string)[];
  if (before === undefined) return keys;
  return keys.filter((k) => stable(before[k]) !== stable(after[k]));
}

export function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** True when a problem was already reported for `field` or inside it. */
export function hasProblem(problems: Problems, field: string): boolean {
  return problems.list.some((p) => p.field === field || p.field.startsWith(`${field}.`));
}

export function actionOf(before: unknown, changed: readonly string[]): Action {
  return before === undefined ? 'create' : changed.length > 0 ? 'update' : 'unchanged';
}
