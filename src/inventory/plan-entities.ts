/** Planning systems and identities: required fields, references, immutables, lifecycle, owners. */
import { canTransition, OWNER_ROLES, type Identity, type System } from './model.js';
import {
  actionOf,
  changedFields,
  hasProblem,
  type Candidate,
  type IdentityItem,
  type SystemItem,
  type View,
} from './plan-types.js';
import { checkOwner, type PrincipalLookup } from './plan-principals.js';
import type { Problems } from './problems.js';
import type { IdentityInput } from './validate-identity.js';
import type { SystemInput } from './validate-system.js';

export function planSystem(
  c: Candidate<SystemInput>,
  view: View,
  lookup: PrincipalLookup,
): SystemItem | undefined {
  const { input, problems } = c;
  const before = view.systems.get(input.id);
  if (c.mode === 'create' && before !== undefined) {
    problems.add('id', 'DUPLICATE_ID', `system ${input.id} already exists`);
    return undefined;
  }
  if (before === undefined) requireFields(input, ['type', 'environment', 'owner'], problems);
  immutable(before, input, ['type'], problems);
  const after: System = {
    id: input.id,
    type: input.type ?? before?.type ?? 'postgres',
    environment: input.environment ?? before?.environment ?? '',
    owner: input.owner ?? before?.owner ?? '',
    connection: input.connection ?? before?.connection ?? {},
    lastReconciledAt: before?.lastReconciledAt ?? null,
    openCriticalFindings: before?.openCriticalFindings ?? 0,
  };
  if (input.owner !== undefined) checkOwner(input.owner, 'owner', lookup, problems);
  const changed = changedFields(before, after);
  return {
    kind: 'system',
    id: input.id,
    action: actionOf(before, changed),
    after,
    changed,
    ...(before ? { before } : {}),
  };
}

export interface IdentityContext {
  /** The identities as they stand before this entry. */
  readonly view: Pick<View, 'identities'>;
  readonly lookup: PrincipalLookup;
  /** Whether a system will exist after the batch. */
  readonly systemExists: (id: string) => boolean;
  /** The identity that will hold (system, externalId) after the batch, other than `id`. */
  readonly externalHolder: (id: string, system: string, externalId: string) => string | undefined;
}

export function planIdentity(c: Candidate<IdentityInput>, ctx: IdentityContext): IdentityItem | undefined {
  const { input, problems } = c;
  const before = ctx.view.identities.get(input.id);
  if (c.mode === 'create' && before !== undefined) {
    problems.add('id', 'DUPLICATE_ID', `identity ${input.id} already exists`);
    return undefined;
  }
  if (before === undefined) requireFields(input, ['kind', 'system', 'externalId', 'riskTier'], problems);
  immutable(before, input, ['kind', 'system'], problems);
  const after: Identity = {
    id: input.id,
    kind: input.kind ?? before?.kind ?? 'service_account',
    system: input.system ?? before?.system ?? '',
    externalId: input.externalId ?? before?.externalId ?? '',
    state: input.state ?? before?.state ?? 'requested',
    owners: { ...before?.owners, ...input.owners },
    credentials: input.credentials ?? before?.credentials ?? [],
    entitlements: input.entitlements ?? before?.entitlements ?? [],
    tags: input.tags ?? before?.tags ?? {},
    riskTier: input.riskTier ?? before?.riskTier ?? 'low',
    lastVerifiedAt: before?.lastVerifiedAt ?? null,
  };
  checkReferences(input, after, ctx, problems);
  checkLifecycle(before, after, problems);
  const changed = changedFields(before, after);
  return {
    kind: 'identity',
    id: input.id,
    action: actionOf(before, changed),
    after,
    changed,
    ...(before ? { before } : {}),
  };
}

function checkReferences(input: IdentityInput, after: Identity, ctx: IdentityContext, p: Problems): void {
  if (input.system !== undefined && !ctx.systemExists(input.system)) {
    p.add('system', 'SYSTEM_UNKNOWN', `system ${input.system} does not exist`);
  }
  for (const role of OWNER_ROLES) {
    const owner = input.owners?.[role];
    if (owner !== undefined) checkOwner(owner, `owners.${role}`, ctx.lookup, p);
  }
  if (after.system !== '' && after.externalId !== '') {
    const holder = ctx.externalHolder(after.id, after.system, after.externalId);
    if (holder !== undefined) {
      p.add(
        'externalId',
        'DUPLICATE_ID',
        `${after.system} already has this external id, held by identity ${holder}`,
      );
    }
  }
}

/** Only allowed transitions; and an active identity has all three owners. */
function checkLifecycle(before: Identity | undefined, after: Identity, p: Problems): void {
  if (before !== undefined && !canTransition(before.state, after.state)) {
    p.add(
      'state',
      'STATE_TRANSITION_INVALID',
      `an identity cannot go from ${before.state} to ${after.state}`,
    );
  }
  if (after.state !== 'active') return;
  for (const role of OWNER_ROLES) {
    const field = `owners.${role}`;
    if (after.owners[role] === undefined && !hasProblem(p, field)) {
      p.add(field, 'OWNERS_MISSING', `an active identity needs its ${role} owner`);
    }
  }
}

function requireFields<I extends object>(input: I, fields: readonly (keyof I & string)[], p: Problems): void {
  for (const field of fields) {
    if (input[field] === undefined && !hasProblem(p, field))
      p.add(field, 'FIELD_REQUIRED', `a new entry needs ${field}`);
  }
}

function immutable<T extends object>(
  before: T | undefined,
  input: Partial<T>,
  fields: readonly (keyof T & string)[],
  p: Problems,
): void {
  if (before === undefined) return;
  for (const field of fields) {
    if (input[field] !== undefined && input[field] !== before[field]) {
      p.add(field, 'FIELD_IMMUTABLE', `${field} cannot change once set`);
    }
  }
}
