/**
 * The operations of Custos, one entry each: the schema its input must pass, the schema of its
 * answer, who may call it, and whether it writes. This table is the single source for the
 * service's authorization, the HTTP routes' validation and the OpenAPI document.
 */
import type { z } from 'zod';
import type { Role } from '../inventory/index.js';
import * as A from './schemas-admin.js';
import * as C from './schemas-common.js';
import * as I from './schemas-inventory.js';
import * as R from './schemas-runs.js';

/**
 * `public`: anyone (no credential); `authenticated`: any known person or service; otherwise the
 * roles of which the caller must hold one. Some operations narrow further by ownership (the
 * requester of a run, the owners of an identity, oneself): see ./authorize.ts.
 */
export type Access = 'public' | 'authenticated' | readonly Role[];

export interface Operation {
  readonly input: z.ZodObject;
  readonly output: z.ZodType;
  readonly access: Access;
  /** Changes state (and so, over HTTP, needs an Idempotency-Key). */
  readonly writes: boolean;
  readonly summary: string;
}

const READ: readonly Role[] = ['requester', 'approver', 'owner', 'auditor', 'admin'];
function read<I extends z.ZodObject, O extends z.ZodType>(
  input: I,
  output: O,
  summary: string,
  access: Access = READ,
) {
  return { input, output, access, writes: false, summary };
}

function write<I extends z.ZodObject, O extends z.ZodType>(
  input: I,
  output: O,
  access: Access,
  summary: string,
) {
  return { input, output, access, writes: true, summary };
}

export const OPERATIONS = {
  whoami: read(C.Empty, A.WhoAmI, 'The calling principal and the roles it may use', 'authenticated'),

  listSystems: read(I.ListSystemsInput, I.SystemPage, 'Systems, by id, a page at a time'),
  getSystem: read(C.EntityIdInput, I.System, 'One system'),
  upsertSystem: write(
    I.UpsertSystemInput,
    I.System,
    ['admin'],
    'Create a system, or update the fields given',
  ),
  listIdentities: read(I.ListIdentitiesInput, I.IdentityPage, 'Non-human identities, a page at a time'),
  getIdentity: read(C.EntityIdInput, I.Identity, 'One identity'),
  upsertIdentity: write(
    I.UpsertIdentityInput,
    I.Identity,
    ['admin', 'owner'],
    'Create an identity, or update the fields given (an owner: only identities they own)',
  ),
  listPrincipals: read(I.ListPrincipalsInput, I.PrincipalPage, 'People, groups and services'),
  getPrincipal: read(C.PrincipalIdInput, I.Principal, 'One principal'),
  upsertPrincipal: write(I.UpsertPrincipalInput, I.Principal, ['admin'], 'Create or update a principal'),
  importInventory: write(
    I.ImportInventoryInput,
    I.ImportSummary,
    ['admin'],
    'Import YAML, JSON or CSV: all or nothing, every problem reported',
  ),
  registerKey: write(
    I.RegisterKeyInput,
    I.RegisteredKey,
    ['approver'],
    "Register one's own Ed25519 approval key (the private half never leaves the approver)",
  ),

  listBundles: read(C.Empty, C.listOf(A.BundleVersion), 'Every filed workflow bundle version'),
  getBundle: read(A.BundleHashInput, A.BundleVersion, 'One bundle version'),
  deployBundle: write(
    A.DeployBundleInput,
    A.BundleVersion,
    ['admin', 'owner'],
    "File a bundle (linted and its golden cases passed) for its policy owners' approval",
  ),
  approveBundle: write(
    A.ApproveBundleInput,
    A.BundleVersion,
    ['owner', 'approver'],
    'A policy owner approves a pending version (never its author or filer)',
  ),
  rejectBundle: write(
    A.RejectBundleInput,
    A.BundleVersion,
    ['owner', 'approver'],
    'A policy owner rejects it',
  ),

  fileRequest: write(
    R.FileRequestInput,
    R.Executed,
    ['requester', 'admin', 'owner'],
    'File a request (also exceptions and break-glass) and take it as far as it goes now',
  ),
  listRuns: read(R.ListRunsInput, R.RunPage, 'Runs, oldest first, a page at a time'),
  getRun: read(C.IdInput, R.RunWithRecords, 'A run with its ledger records'),
  approveRun: write(R.DecideRunInput, R.Run, ['approver'], 'Count a signed approval'),
  denyRun: write(R.DecideRunInput, R.Run, ['approver'], 'Count a signed denial'),
  advanceRun: write(
    C.IdInput,
    R.Executed,
    ['requester', 'admin'],
    'Decide, then execute and verify an approved run (secrets go to its requester only)',
  ),
  resumeRun: write(C.IdInput, R.Executed, ['requester', 'owner', 'admin'], 'Retry a paused run'),
  rollbackRun: write(C.IdInput, R.Run, ['requester', 'owner', 'admin'], 'Roll a paused run back'),
  abortRun: write(R.AbortRunInput, R.Run, ['requester', 'owner', 'admin'], 'Abandon an unfinished run'),

  listGrants: read(R.ListGrantsInput, C.listOf(R.Grant), 'Exception and break-glass grants'),
  getGrant: read(C.IdInput, R.Grant, 'One grant'),
  reviewBreakGlass: write(
    R.ReviewBreakGlassInput,
    R.Grant,
    ['approver', 'owner'],
    "The workflow's named reviewer records the post-hoc review of a break-glass grant",
  ),

  listAlerts: read(A.ListAlertsInput, C.listOf(A.Alert), 'Alerts with their delivery state'),

  ledgerHead: read(C.Empty, A.LedgerHead, 'The ledger size, root and latest signed checkpoint'),
  signCheckpoint: write(C.Empty, A.Checkpoint, ['admin'], 'Sign a checkpoint of the current tree'),
  inclusionProof: read(A.InclusionProofInput, A.InclusionProof, 'Inclusion proof of a record'),
  consistencyProof: read(A.ConsistencyProofInput, A.ConsistencyProof, 'Consistency proof between two sizes'),
  exportLedger: read(A.ExportLedgerInput, A.LedgerExport, 'An export bundle, verifiable offline', [
    'auditor',
    'admin',
  ]),
  verifyLedger: read(C.Empty, A.LedgerVerified, 'Recompute and check the live ledger', ['auditor', 'admin']),

  verifyToken: read(
    A.VerifyTokenInput,
    A.PresentedToken,
    'For downstream services: is this issued API key or token in force?',
    'authenticated',
  ),
  jwks: read(C.Empty, A.Jwks, 'The JWKS against which issued JWTs verify offline', 'public'),

  issueApiToken: write(
    A.IssueApiTokenInput,
    A.IssuedApiToken,
    ['admin'],
    'Issue an API token for a principal (shown once; stored as a SHA-256)',
  ),
  listApiTokens: read(
    A.ListApiTokensInput,
    C.listOf(A.ApiToken),
    "API tokens (an admin: anyone's; others: their own)",
    'authenticated',
  ),
  revokeApiToken: write(
    C.IdInput,
    A.ApiToken,
    'authenticated',
    'Revoke an API token (an admin, or its holder)',
  ),
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

/** Accepts readonly arrays and objects too: an input is only read. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** What a caller passes to an operation (before validation). */
export type InputOf<K extends OperationName> = DeepReadonly<z.input<(typeof OPERATIONS)[K]['input']>>;
/** The input after validation. */
export type ParsedInputOf<K extends OperationName> = z.output<(typeof OPERATIONS)[K]['input']>;
