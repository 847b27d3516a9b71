/** Reads an identity entry (a patch: `owners` merge per role, other fields replace). */
import {
  IDENTITY_KINDS,
  LIFECYCLE_STATES,
  OWNER_ROLES,
  RISK_TIERS,
  type Credential,
  type IdentityKind,
  type LifecycleState,
  type Owners,
  type RiskTier,
} from './model.js';
import { FINGERPRINT, isSecretName } from './secret-ref.js';
import { SHAPES, topLevelFields } from './fields.js';
import type { Problems } from './problems.js';
import {
  checkKnown,
  compact,
  isObj,
  join,
  readDate,
  readEnum,
  readId,
  readObject,
  readPrincipalId,
  readString,
  readStringList,
} from './validate-common.js';
import { ID_FORMAT } from './validate-system.js';

export interface IdentityInput {
  readonly id: string;
  readonly kind?: IdentityKind;
  readonly system?: string;
  readonly externalId?: string;
  readonly state?: LifecycleState;
  readonly owners?: Owners;
  readonly credentials?: readonly Credential[];
  readonly entitlements?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly riskTier?: RiskTier;
}

const TAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;

export function validateIdentity(entry: unknown, p: Problems): IdentityInput | undefined {
  if (!isObj(entry)) {
    p.add('', 'FIELD_INVALID', 'an entry must be a mapping');
    return undefined;
  }
  checkKnown(entry, topLevelFields(SHAPES.identity), '', p);
  const id = readId(entry, p, (v, f) => readString(v, f, p, ID_FORMAT));
  const input = compact({
    kind: readEnum(entry['kind'], IDENTITY_KINDS, 'kind', p),
    system: readString(entry['system'], 'system', p, ID_FORMAT),
    externalId: readString(entry['externalId'], 'externalId', p),
    state: readEnum(entry['state'], LIFECYCLE_STATES, 'state', p),
    owners: readOwners(entry['owners'], p),
    credentials: readCredentials(entry['credentials'], p),
    entitlements: readStringList(entry['entitlements'], 'entitlements', p),
    tags: readTags(entry['tags'], p),
    riskTier: readEnum(entry['riskTier'], RISK_TIERS, 'riskTier', p),
  });
  return id === undefined ? undefined : { id, ...input };
}

function readOwners(value: unknown, p: Problems): Owners | undefined {
  const obj = readObject(value, 'owners', p);
  if (obj === undefined) return undefined;
  checkKnown(obj, OWNER_ROLES, 'owners', p);
  const owners: Partial<Record<(typeof OWNER_ROLES)[number], string>> = {};
  for (const role of OWNER_ROLES) {
    const owner = readPrincipalId(obj[role], join('owners', role), p);
    if (owner !== undefined) owners[role] = owner;
  }
  return owners;
}

function readCredentials(value: unknown, p: Problems): Credential[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    p.add('credentials', 'FIELD_INVALID', 'must be a list');
    return undefined;
  }
  const before = p.list.length;
  const credentials = value.map((item, i) => readCredential(item, join('credentials', i), p));
  return p.list.length > before ? undefined : (credentials as Credential[]);
}

function readCredential(value: unknown, field: string, p: Problems): Credential | undefined {
  const obj = readObject(value, field, p);
  if (obj === undefined) {
    if (value == null) p.add(field, 'FIELD_INVALID', 'must be a mapping');
    return undefined;
  }
  const keys = SHAPES.identity.records['credentials']!;
  checkKnown(obj, keys, field, p);
  const fingerprint = obj['fingerprint'];
  if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint)) {
    // Likely the secret itself: say what is expected, never what was given.
    p.add(
      join(field, 'fingerprint'),
      'FINGERPRINT_INVALID',
      'a credential is recorded only by its hmac-sha256:<key id>:<mac> fingerprint',
    );
  }
  const issuedAt = readDate(obj['issuedAt'], join(field, 'issuedAt'), p);
  if (obj['issuedAt'] == null)
    p.add(join(field, 'issuedAt'), 'FIELD_REQUIRED', 'a credential needs issuedAt');
  const expiresAt = readDate(obj['expiresAt'], join(field, 'expiresAt'), p);
  if (typeof fingerprint !== 'string' || issuedAt === undefined) return undefined;
  return { fingerprint, issuedAt, ...compact({ expiresAt }) };
}

function readTags(value: unknown, p: Problems): Record<string, string> | undefined {
  const obj = readObject(value, 'tags', p);
  if (obj === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(obj)) {
    const field = join('tags', key);
    if (!TAG_NAME.test(key))
      p.add(field, 'FIELD_INVALID', 'a tag name is letters, digits, "_", ".", "/" or "-"');
    else if (isSecretName(key)) p.add(field, 'SECRET_NOT_REFERENCE', 'tags never hold secrets');
    else {
      const text = readString(typeof tag === 'boolean' ? String(tag) : tag, field, p);
      if (text !== undefined) tags[key] = text;
    }
  }
  return tags;
}
