/** Reads a system entry (a patch); refuses any secret that is not a reference. */
import { SYSTEM_TYPES, type Connection, type SystemType } from './model.js';
import { ENTITY_ID } from './principal-id.js';
import { isSecretName, isSecretReference } from './secret-ref.js';
import { SHAPES, topLevelFields } from './fields.js';
import type { Problems } from './problems.js';
import {
  checkKnown,
  compact,
  isObj,
  join,
  readEnum,
  readId,
  readObject,
  readPrincipalId,
  readString,
} from './validate-common.js';

export interface SystemInput {
  readonly id: string;
  readonly type?: SystemType;
  readonly environment?: string;
  /** A person or group. */
  readonly owner?: string;
  /** The whole connection (replaces the stored one). */
  readonly connection?: Connection;
}

export const ID_FORMAT = { pattern: ENTITY_ID, describe: 'letters, digits, ".", "_" or "-" (at most 128)' };
const ENVIRONMENT = {
  pattern: /^[a-z][a-z0-9-]{0,31}$/,
  describe: 'a lowercase name such as prod, staging or dev',
};
const SETTING_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function validateSystem(entry: unknown, p: Problems): SystemInput | undefined {
  if (!isObj(entry)) {
    p.add('', 'FIELD_INVALID', 'an entry must be a mapping');
    return undefined;
  }
  checkKnown(entry, topLevelFields(SHAPES.system), '', p);
  const id = readId(entry, p, (v, f) => readString(v, f, p, ID_FORMAT));
  const type = readEnum(entry['type'], SYSTEM_TYPES, 'type', p);
  const environment = readString(entry['environment'], 'environment', p, ENVIRONMENT);
  const owner = readPrincipalId(entry['owner'], 'owner', p);
  const connection = readConnection(entry['connection'], p);
  if (id === undefined) return undefined;
  return { id, ...compact({ type, environment, owner, connection }) };
}

/**
 * Flat settings. A setting named like a secret must be `env:NAME` or `secret:NAME`; the message
 * never repeats the value, which may be the secret itself.
 */
export function readConnection(value: unknown, p: Problems): Connection | undefined {
  const obj = readObject(value, 'connection', p);
  if (obj === undefined) return undefined;
  const out: Record<string, string | number | boolean> = {};
  const before = p.list.length;
  for (const [key, setting] of Object.entries(obj)) {
    const field = join('connection', key);
    if (!SETTING_NAME.test(key)) {
      p.add(field, 'FIELD_INVALID', 'a setting name is a letter then letters, digits, ".", "_" or "-"');
    } else if (isSecretName(key)) {
      if (isSecretReference(setting)) out[key] = setting;
      else
        p.add(
          field,
          'SECRET_NOT_REFERENCE',
          'is named like a secret but holds a literal value: give it as env:NAME or secret:NAME',
        );
    } else if ((typeof setting === 'number' && Number.isFinite(setting)) || typeof setting === 'boolean') {
      out[key] = setting;
    } else {
      const text = readString(setting, field, p);
      if (text !== undefined) out[key] = text;
    }
  }
  return p.list.length > before ? undefined : out;
}
