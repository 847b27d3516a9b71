/**
 * Authorization, enforced in the service whatever the transport: the caller's principal must be a
 * known person or service, its usable roles are its current roles narrowed by the credential's
 * scopes, and each operation names the roles of which it needs one (./operations.ts). Ownership
 * rules (the requester of a run, the owners of an identity, oneself) are checked by the handlers
 * with the helpers here. Role changes take effect on the next call: nothing is cached.
 */
import { CustosError } from '../core/errors.js';
import type { Inventory, PrincipalKind, Role } from '../inventory/index.js';
import type { Caller } from './api.js';
import type { Access, OperationName } from './operations.js';

/** The resolved caller. */
export interface Acting {
  readonly id: string;
  readonly kind: PrincipalKind | 'anonymous';
  readonly groups: readonly string[];
  readonly roles: ReadonlySet<Role>;
}

export const ANONYMOUS: Acting = { id: 'anonymous', kind: 'anonymous', groups: [], roles: new Set() };

export async function resolveCaller(inventory: Inventory, caller: Caller): Promise<Acting> {
  const id = typeof caller.principal === 'string' ? caller.principal : '';
  const principal = id === '' ? undefined : await inventory.getPrincipal(id);
  if (principal === undefined || principal.kind === 'group') {
    throw new CustosError('UNAUTHENTICATED', 'the caller is not a known person or service');
  }
  const scopes = caller.scopes === undefined ? undefined : new Set(caller.scopes);
  const roles = principal.roles.filter((r) => scopes === undefined || scopes.has(r));
  return { id: principal.id, kind: principal.kind, groups: principal.groups, roles: new Set(roles) };
}

/** FORBIDDEN unless the caller holds one of the roles the operation needs. */
export function checkAccess(operation: OperationName, access: Access, acting: Acting): void {
  if (access === 'public' || access === 'authenticated') return;
  if (access.some((role) => acting.roles.has(role))) return;
  throw new CustosError('FORBIDDEN', `${operation} needs the role ${access.join(' or ')}`, {
    details: { operation, requires: access.join('|') },
  });
}

export function hasRole(acting: Acting, ...roles: readonly Role[]): boolean {
  return roles.some((role) => acting.roles.has(role));
}

/** Whether `principal` (a person or group id from an owners list) is the caller or one of its groups. */
export function names(acting: Acting, principal: string | undefined): boolean {
  return principal !== undefined && (principal === acting.id || acting.groups.includes(principal));
}

export function forbidden(operation: OperationName, reason: string): CustosError {
  return new CustosError('FORBIDDEN', `${operation}: ${reason}`, { details: { operation } });
}
