/** Planning principals: merge with the stored state, check groups exist. */
import { principalKind } from './principal-id.js';
import type { PrincipalKind } from './model.js';
import {
  actionOf,
  changedFields,
  hasProblem,
  type Candidate,
  type PrincipalItem,
  type PrincipalState,
  type View,
} from './plan-types.js';
import type { Problems } from './problems.js';
import type { StoredPrincipal } from './read-principals.js';
import type { PrincipalInput } from './validate-principal.js';

/** Resolves a principal id to its kind after the batch, or undefined when it will not exist. */
export type PrincipalLookup = (id: string) => PrincipalKind | undefined;

export function mergePrincipal(input: PrincipalInput, before: StoredPrincipal | undefined): PrincipalState {
  return {
    id: input.id,
    kind: principalKind(input.id)!,
    roles: input.roles ?? before?.roles ?? [],
    groups: input.groups ?? before?.groups ?? [],
    displayName: input.displayName ?? before?.displayName ?? null,
    email: input.email ?? before?.email ?? null,
  };
}

export function planPrincipal(
  c: Candidate<PrincipalInput>,
  view: View,
  lookup: PrincipalLookup,
): PrincipalItem | undefined {
  const before = view.principals.get(c.input.id);
  if (c.mode === 'create' && before !== undefined) {
    c.problems.add('id', 'DUPLICATE_ID', `${c.input.id} already exists`);
    return undefined;
  }
  const after = mergePrincipal(c.input, before);
  // Only the groups this input names: the stored ones were checked when they were written (and the
  // view loads only what the batch names).
  if (!hasProblem(c.problems, 'groups')) checkGroups(c.input.groups ?? [], lookup, c.problems);
  const changed = changedFields(before === undefined ? undefined : stateOf(before), after);
  return {
    kind: 'principal',
    id: after.id,
    action: actionOf(before, changed),
    after,
    changed,
    ...(before ? { before } : {}),
  };
}

function checkGroups(groups: readonly string[], lookup: PrincipalLookup, p: Problems): void {
  for (const group of groups) {
    if (lookup(group) === undefined) p.add('groups', 'PRINCIPAL_UNKNOWN', `${group} does not exist`);
  }
}

function stateOf(p: StoredPrincipal): PrincipalState {
  return {
    id: p.id,
    kind: p.kind,
    roles: p.roles,
    groups: p.groups,
    displayName: p.displayName,
    email: p.email,
  };
}

/** An owner (of a system or an identity) is accountable: a person or a group, never a service. */
export function checkOwner(id: string, field: string, lookup: PrincipalLookup, p: Problems): void {
  const kind = lookup(id);
  if (kind === undefined) p.add(field, 'PRINCIPAL_UNKNOWN', `${id} does not exist`);
  else if (kind === 'service')
    p.add(field, 'PRINCIPAL_KIND_INVALID', `${id} is a service; an owner is a person or a group`);
}
