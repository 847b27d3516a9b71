/** Schemas of systems, identities, principals, inventory imports and approvers' public keys. */
import { z } from 'zod';
import {
  ENTRY_KINDS,
  IDENTITY_KINDS,
  LIFECYCLE_STATES,
  PRINCIPAL_KINDS,
  RISK_TIERS,
  SYSTEM_TYPES,
} from '../inventory/index.js';
import { EntityId, PageInput, PrincipalId, Role, Timestamp, pageOf } from './schemas-common.js';

const Setting = z.union([z.string(), z.number(), z.boolean()]);

export const System = z.object({
  id: z.string(),
  type: z.enum(SYSTEM_TYPES),
  environment: z.string(),
  owner: z.string(),
  connection: z.record(z.string(), Setting).describe('secrets appear only as env:NAME or secret:NAME'),
  lastReconciledAt: Timestamp.nullable(),
  openCriticalFindings: z.number().int(),
});

export const UpsertSystemInput = z.strictObject({
  id: EntityId,
  type: z.enum(SYSTEM_TYPES).optional(),
  environment: z.string().max(32).optional(),
  owner: PrincipalId.optional().describe('a person or group'),
  connection: z
    .record(z.string().max(64), Setting)
    .optional()
    .describe('the whole connection; a setting named like a secret holds env:NAME or secret:NAME'),
});

const Owners = z.strictObject({
  business: PrincipalId.optional(),
  policy: PrincipalId.optional(),
  platform: PrincipalId.optional(),
});

const Credential = z.strictObject({
  fingerprint: z.string().describe('hmac-sha256:<key id>:<mac>, never the secret'),
  issuedAt: Timestamp,
  expiresAt: Timestamp.optional(),
});

export const Identity = z.object({
  id: z.string(),
  kind: z.enum(IDENTITY_KINDS),
  system: z.string(),
  externalId: z.string(),
  state: z.enum(LIFECYCLE_STATES),
  owners: z.object({
    business: z.string().optional(),
    policy: z.string().optional(),
    platform: z.string().optional(),
  }),
  credentials: z.array(Credential),
  entitlements: z.array(z.string()),
  tags: z.record(z.string(), z.string()),
  riskTier: z.enum(RISK_TIERS),
  lastVerifiedAt: Timestamp.nullable(),
});

export const UpsertIdentityInput = z.strictObject({
  id: EntityId,
  kind: z.enum(IDENTITY_KINDS).optional(),
  system: EntityId.optional(),
  externalId: z.string().max(512).optional(),
  state: z.enum(LIFECYCLE_STATES).optional(),
  owners: Owners.optional().describe('merged per role with the stored owners'),
  credentials: z.array(Credential).max(100).optional(),
  entitlements: z.array(z.string().max(512)).max(1000).optional(),
  tags: z.record(z.string().max(63), z.string().max(512)).optional(),
  riskTier: z.enum(RISK_TIERS).optional(),
});

export const Principal = z.object({
  id: z.string(),
  kind: z.enum(PRINCIPAL_KINDS),
  roles: z.array(Role),
  groups: z.array(z.string()),
  members: z.array(z.string()),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
});

export const UpsertPrincipalInput = z.strictObject({
  id: PrincipalId,
  displayName: z.string().max(200).optional().describe('personal data: kept in the erasable vault'),
  email: z.string().max(320).optional(),
  roles: z.array(Role).max(5).optional(),
  groups: z.array(PrincipalId).max(100).optional(),
});

export const ListSystemsInput = z.strictObject({ ...PageInput });
export const ListPrincipalsInput = z.strictObject({ ...PageInput });
export const ListIdentitiesInput = z.strictObject({
  ...PageInput,
  system: EntityId.optional().describe('only identities on this system'),
});

export const SystemPage = pageOf(System);
export const IdentityPage = pageOf(Identity);
export const PrincipalPage = pageOf(Principal);

export const ImportInventoryInput = z.strictObject({
  file: z
    .string()
    .regex(/^[\x20-\x7e]{1,200}$/)
    .optional()
    .describe('a name shown in problems (default "import")'),
  format: z.enum(['yaml', 'json', 'csv']),
  kind: z.enum(ENTRY_KINDS).optional().describe('the kind of a CSV file or of a bare list'),
  text: z.string(),
  dryRun: z.boolean().optional(),
});

export const ImportSummary = z.object({
  dryRun: z.boolean(),
  correlationId: z.string(),
  create: z.number().int(),
  update: z.number().int(),
  unchanged: z.number().int(),
  records: z.number().int().describe('ledger records written'),
});

export const RegisterKeyInput = z.strictObject({
  principal: PrincipalId,
  publicKey: z.base64().length(44).describe('base64 of the raw 32-byte Ed25519 public key'),
});

export const RegisteredKey = z.object({ principal: z.string(), keyId: z.string() });
