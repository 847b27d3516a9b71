/** Typed principal ids (`person:alice`, `group:dba`, `service:ci-pipeline`) and who may act. */
import { CustosError } from '../core/errors.js';
import type { Actor } from '../ledger/record.js';
import type { PrincipalKind } from './model.js';

const PRINCIPAL_ID = /^(person|group|service):([A-Za-z0-9][A-Za-z0-9._@-]{0,126})$/;
/** Ids of systems and identities. */
export const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The kind named by a principal id, or undefined when the id is malformed. */
export function principalKind(id: string): PrincipalKind | undefined {
  return PRINCIPAL_ID.exec(id)?.[1] as PrincipalKind | undefined;
}

export function isPrincipalId(value: unknown): value is string {
  return typeof value === 'string' && PRINCIPAL_ID.test(value);
}

/**
 * The ledger actor for an acting principal: a person acts as a human, a service as a non-human
 * principal; a group never acts (an approval or a request is always made by someone named).
 */
export function actorFor(principalId: string): Actor {
  switch (principalKind(principalId)) {
    case 'person':
      return { kind: 'human', id: principalId };
    case 'service':
      return { kind: 'non_human', id: principalId };
    case 'group':
      throw new CustosError(
        'PRINCIPAL_KIND_INVALID',
        `${principalId} is a group; only persons and services act`,
      );
    default:
      throw new CustosError('FIELD_INVALID', 'an acting principal is person:<name> or service:<name>', {
        details: { field: 'actor' },
      });
  }
}
