/** Schemas of requests, runs, signed approvals, and exception and break-glass grants. */
import { z } from 'zod';
import { IDENTITY_KINDS } from '../inventory/index.js';
import { ACTIONS } from '../policy/index.js';
import { RUN_STATES } from '../runs/index.js';
import { GRANT_STATES } from '../runs/grant-store.js';
import { MAX_FAN_OUT } from '../workflows/fan-out.js';
import {
  EntityId,
  Json,
  JsonObject,
  Opaque,
  PageInput,
  PrincipalId,
  Timestamp,
  pageOf,
} from './schemas-common.js';

const NewIdentity = z.strictObject({
  name: EntityId,
  kind: z.enum(IDENTITY_KINDS),
  system: EntityId,
  entitlements: z.array(z.string().max(512)).max(1000).optional(),
  tags: z.array(z.string().max(512)).max(100).optional(),
});

/** What a requester asks: entities come from the inventory, never from the request. */
export const PlainRequest = z.strictObject({
  principal: PrincipalId.optional().describe('who asks: the caller (the only value accepted)'),
  action: z.enum(ACTIONS),
  resource: z.union([
    z.strictObject({ identity: EntityId }),
    z.strictObject({ new: NewIdentity }),
    z
      .strictObject({ identities: z.array(EntityId).min(2).max(MAX_FAN_OUT) })
      .describe(
        'fan-out: the same rotate, suspend or retire on each identity (one workflow governs them all)',
      ),
  ]),
  context: z
    .record(z.string().max(64), Json)
    .optional()
    .describe(
      'durationMinutes, entitlements, and for an exception control and compensatingControl; ' +
        'workflow and environment are always computed',
    ),
});

export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,128}$/);

export const FileRequestInput = z.strictObject({
  request: PlainRequest,
  justification: z.string().min(1).max(4000),
  idempotencyKey: IdempotencyKey.optional().describe(
    "the run's idempotency key (over HTTP: the Idempotency-Key header when absent)",
  ),
});

export const Run = z.object({
  id: z.string(),
  requester: z.string(),
  idempotencyKey: z.string(),
  request: JsonObject,
  inputHash: z.string(),
  justification: z.string(),
  state: z.enum(RUN_STATES),
  reason: z.string().nullable(),
  workflow: z.string().nullable(),
  bundleHash: z.string().nullable(),
  decision: JsonObject.nullable(),
  digest: z.string().nullable().describe('what every approval signs'),
  executor: z.string().nullable(),
  attempts: z.number().int(),
  origin: JsonObject.nullable(),
  claimedBy: z
    .string()
    .nullable()
    .describe('the executor instance (host:pid:id) executing the run, or that last did'),
});

const IssuedSecret = z.object({
  value: z.string().describe('shown once, to the requester; never recorded or logged'),
  fingerprint: z.string(),
  expiresAt: Timestamp.optional(),
  stepId: z.string(),
  system: z.string().describe('the system whose credential this is'),
  identity: z.string().describe('the identity whose credential this is (a fan-out issues several)'),
});

/** A run after a call that may have executed it, with the secrets it issued (once). */
export const Executed = z.object({ run: Run, secrets: z.array(IssuedSecret) });

export const RunWithRecords = z.object({
  run: Run,
  records: z.array(JsonObject).describe("the run's ledger records, in order"),
});

export const ListRunsInput = z.strictObject({
  ...PageInput,
  state: z.enum(RUN_STATES).optional(),
  requester: PrincipalId.optional(),
});

export const RunPage = pageOf(Run);

/** As src/approvals/signed-approval.ts: Ed25519 over the JCS of every other field. */
export const SignedApproval = z.strictObject({
  v: z.literal(1),
  principal: PrincipalId,
  key_id: z.string().min(1).max(100),
  run_id: Opaque,
  digest: z.string().min(1).max(100),
  decision: z.enum(['approve', 'deny']),
  rationale: z.string().max(4000),
  signed_at: z.iso.datetime(),
  signature: z.base64().max(200),
});

export const DecideRunInput = z.strictObject({ id: Opaque, approval: SignedApproval });
export const AbortRunInput = z.strictObject({ id: Opaque, reason: z.string().min(1).max(2000) });

export const Grant = z.object({
  id: z.string(),
  kind: z.enum(['exception', 'break_glass']),
  runId: z.string(),
  identityId: z.string(),
  workflow: z.string(),
  details: JsonObject,
  state: z.enum(GRANT_STATES),
  grantedAt: Timestamp,
  expiresAt: Timestamp,
  endedAt: Timestamp.nullable(),
  followUpRunId: z.string().nullable(),
  reviewDueAt: Timestamp.nullable(),
  reviewedBy: z.string().nullable(),
  reviewedAt: Timestamp.nullable(),
});

export const ListGrantsInput = z.strictObject({
  identity: EntityId.optional(),
  state: z.enum(GRANT_STATES).optional(),
});

export const ReviewBreakGlassInput = z.strictObject({
  id: Opaque,
  verdict: z.enum(['appropriate', 'inappropriate']),
  rationale: z.string().min(1).max(4000),
});
