/** Schemas of bundles, alerts, the ledger, issued-token checks, API tokens and the caller. */
import { z } from 'zod';
import { ALERT_SEVERITIES, ALERT_STATES } from '../alerts/index.js';
import { PRINCIPAL_KINDS } from '../inventory/index.js';
import { JsonObject, Opaque, PrincipalId, Role, Timestamp } from './schemas-common.js';

export const BundleHash = z.string().regex(/^sha256:[0-9a-f]{64}$/);

export const BundleVersion = z.object({
  hash: z.string(),
  name: z.string(),
  versionLabel: z.string(),
  author: z.string(),
  filedBy: z.string(),
  filedAt: Timestamp,
  status: z.enum(['pending', 'active', 'superseded', 'rejected']),
  requiredApprovers: z.array(z.string()),
  approvals: z.array(
    z.object({
      approver: z.string(),
      decision: z.enum(['approve', 'reject']),
      rationale: z.string().nullable(),
    }),
  ),
  changes: z.array(z.string()).describe('the recorded decisions this version changes'),
});

export const BundleHashInput = z.strictObject({ hash: BundleHash });
export const DeployBundleInput = z.strictObject({
  files: z
    .array(
      z.strictObject({
        path: z.string().min(1).max(256).describe("'/'-separated, relative to the bundle directory"),
        content: z.base64().describe('the file bytes, base64'),
      }),
    )
    .min(1)
    .max(500),
});
export const ApproveBundleInput = z.strictObject({
  hash: BundleHash,
  rationale: z.string().max(4000).optional(),
});
export const RejectBundleInput = z.strictObject({ hash: BundleHash, rationale: z.string().min(1).max(4000) });

export const Alert = z.object({
  id: z.string(),
  kind: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  subject: z.object({ kind: z.string(), id: z.string() }),
  notify: z.array(z.string()),
  summary: z.string(),
  details: JsonObject,
  correlationId: z.string(),
  createdAt: Timestamp,
  state: z.enum(ALERT_STATES),
  attempts: z.number().int(),
  nextAttemptAt: Timestamp,
  lastError: z.string().nullable(),
  deliveredAt: Timestamp.nullable(),
  ledgerIndex: z.number().int().nullable(),
});

export const ListAlertsInput = z.strictObject({
  state: z.enum(ALERT_STATES).optional(),
  subjectKind: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .optional()
    .describe('with subjectId: only alerts about this subject'),
  subjectId: Opaque.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

const Index = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const Checkpoint = z.object({ size: z.number().int(), note: z.string().describe('C2SP signed note') });

export const LedgerHead = z.object({
  origin: z.string(),
  verifierKey: z.string(),
  size: z.number().int(),
  rootHash: z.string().describe('base64'),
  prunedBelow: z.number().int(),
  checkpoint: Checkpoint.nullable().describe('the latest signed checkpoint'),
});

export const InclusionProofInput = z.strictObject({ index: Index, size: Index.min(1) });
export const InclusionProof = z.object({
  index: z.number().int(),
  size: z.number().int(),
  proof: z.array(z.string()).describe('RFC 9162 §2.1.3 audit path, base64 hashes'),
});

export const ConsistencyProofInput = z.strictObject({ from: Index.min(1), to: Index.min(1) });
export const ConsistencyProof = z.object({
  from: z.number().int(),
  to: z.number().int(),
  proof: z.array(z.string()).describe('RFC 9162 §2.1.4 consistency proof, base64 hashes'),
});

export const ExportLedgerInput = z.strictObject({
  from: Index.optional().describe('a range export of [from, to); omit both for a full export'),
  to: Index.optional(),
});
export const LedgerExport = z.object({
  manifest: JsonObject,
  files: z.array(z.object({ path: z.string(), content: z.string().describe('UTF-8 text') })),
});

export const LedgerVerified = z.object({
  origin: z.string(),
  size: z.number().int(),
  from: z.number().int(),
  records: z.number().int(),
  checkpoints: z.number().int(),
  latestCheckpoint: z.number().int(),
});

export const VerifyTokenInput = z.strictObject({
  token: z.string().min(1).max(8192).describe('the presented API key or JWT (never logged)'),
});
export const PresentedToken = z.object({
  valid: z.boolean(),
  system: z.string().nullable(),
  identity: z.string().nullable(),
  runId: z.string().nullable(),
  credentialId: z.string().nullable(),
  expiresAt: Timestamp.nullable(),
  reason: z
    .enum(['malformed', 'unknown', 'expired', 'revoked', 'superseded', 'suspended', 'retired'])
    .optional(),
});
export const Jwks = z.object({ keys: z.array(JsonObject) });

export const ApiToken = z.object({
  id: z.string(),
  principal: z.string(),
  name: z.string(),
  scopes: z.array(Role),
  createdBy: z.string(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  revokedAt: Timestamp.nullable(),
});
export const IssuedApiToken = ApiToken.extend({
  token: z.string().describe('shown once: only its SHA-256 is stored'),
});
export const IssueApiTokenInput = z.strictObject({
  principal: PrincipalId,
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/),
  scopes: z
    .array(Role)
    .min(1)
    .max(5)
    .optional()
    .describe("roles the token may use (a subset of the principal's; default all of them)"),
  expiresInDays: z.number().int().min(1).max(366).optional().describe('default 90'),
});
export const ListApiTokensInput = z.strictObject({ principal: PrincipalId.optional() });

export const WhoAmI = z.object({
  principal: z.string(),
  kind: z.enum(PRINCIPAL_KINDS),
  roles: z.array(Role).describe('the roles this caller may use now'),
});
