/** Reads a principal entry (a patch: absent fields keep their stored values on update). */
import { ROLES, type Role } from './model.js';
import { principalKind } from './principal-id.js';
import { SHAPES, topLevelFields } from './fields.js';
import type { Problems } from './problems.js';
import {
  checkKnown,
  compact,
  isObj,
  readEnum,
  readId,
  readPrincipalId,
  readString,
  readStringList,
} from './validate-common.js';

export interface PrincipalInput {
  readonly id: string;
  /** Personal data: stored in the vault, recorded only as a commitment. */
  readonly displayName?: string;
  readonly email?: string;
  readonly roles?: readonly Role[];
  /** The groups a person or service belongs to (the whole set). */
  readonly groups?: readonly string[];
}

const EMAIL = { pattern: /^[^\s@]+@[^\s@]+$/, describe: 'an email address' };

export function validatePrincipal(entry: unknown, p: Problems): PrincipalInput | undefined {
  if (!isObj(entry)) {
    p.add('', 'FIELD_INVALID', 'an entry must be a mapping');
    return undefined;
  }
  checkKnown(entry, topLevelFields(SHAPES.principal), '', p);
  const id = readId(entry, p, readPrincipalId);
  const kind = id === undefined ? undefined : principalKind(id);
  const displayName = readString(entry['displayName'], 'displayName', p);
  const email = readString(entry['email'], 'email', p, EMAIL);
  const roles = readStringList(entry['roles'], 'roles', p, (v, f) => readEnum(v, ROLES, f, p));
  const groups = readStringList(entry['groups'], 'groups', p, (v, f) => readGroupId(v, f, p));
  if (kind !== 'person') {
    for (const field of ['displayName', 'email'] as const) {
      if (entry[field] != null) p.add(field, 'FIELD_INVALID', 'only a person has personal data');
    }
  }
  if (kind === 'group') {
    // Groups are flat and hold no roles: their members act, each under their own roles.
    for (const field of ['roles', 'groups'] as const) {
      if (entry[field] != null) p.add(field, 'FIELD_INVALID', `a group has no ${field}`);
    }
  }
  if (id === undefined) return undefined;
  return { id, ...compact({ displayName, email, roles, groups }) };
}

function readGroupId(value: unknown, field: string, p: Problems): string | undefined {
  const id = readPrincipalId(value, field, p);
  if (id === undefined || principalKind(id) === 'group') return id;
  p.add(field, 'PRINCIPAL_KIND_INVALID', `${id} is not a group`);
  return undefined;
}
