/**
 * `CustosApi`: every operation of Custos as one interface, implemented in-process by LocalService
 * and over HTTP by HttpClient (src/api/client.ts). Each method takes the calling principal first —
 * resolved by the caller of the interface: from an API token on the server, from `--as` /
 * CUSTOS_ACTOR in the local CLI — and a plain JSON input that the operation's schema validates
 * (./operations.ts). Answers are plain JSON too.
 */
import type { JSONWebKeySet } from 'jose';
import type { AlertStatus } from '../alerts/index.js';
import type { PresentedResult } from '../connectors/tokens/index.js';
import type { Identity, PageOf, Principal, PrincipalKind, Role, System } from '../inventory/index.js';
import type { LiveVerifyReport } from '../ledger/ledger-verify.js';
import type { LedgerRecord } from '../ledger/record.js';
import type { DeliveredSecret, Run } from '../runs/index.js';
import type { Grant } from '../runs/grant-store.js';
import type { ExportManifest } from '../verifier/bundle.js';
import type { BundleVersion } from '../workflows/index.js';
import type { InputOf, OperationName } from './operations.js';

/**
 * Who calls. `scopes` narrows the principal's roles to those a credential may use (an API token's
 * scopes); absent, the caller may use every role the principal holds now.
 */
export interface Caller {
  readonly principal: string;
  readonly scopes?: readonly Role[];
}

export interface Items<T> {
  readonly items: readonly T[];
}

export interface WhoAmI {
  readonly principal: string;
  readonly kind: PrincipalKind;
  readonly roles: readonly Role[];
}

export interface ImportSummary {
  readonly dryRun: boolean;
  readonly correlationId: string;
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  readonly records: number;
}

/** A run after a call that may have executed it, and the secrets it issued: for its requester, once. */
export interface Executed {
  readonly run: Run;
  readonly secrets: readonly DeliveredSecret[];
}

export interface RunWithRecords {
  readonly run: Run;
  readonly records: readonly LedgerRecord[];
}

export interface Checkpoint {
  readonly size: number;
  readonly note: string;
}

export interface LedgerHead {
  readonly origin: string;
  readonly verifierKey: string;
  readonly size: number;
  /** Base64. */
  readonly rootHash: string;
  readonly prunedBelow: number;
  readonly checkpoint: Checkpoint | null;
}

export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  readonly proof: readonly string[];
}

export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly string[];
}

/** An export bundle as files (write them under one directory to verify with `custos verify`). */
export interface LedgerExport {
  readonly manifest: ExportManifest;
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

export interface ApiTokenInfo {
  readonly id: string;
  readonly principal: string;
  readonly name: string;
  readonly scopes: readonly Role[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

export interface IssuedApiToken extends ApiTokenInfo {
  /** `cst_<id>_<secret>`: shown once; only the SHA-256 of the secret is stored. */
  readonly token: string;
}

/** The answer of each operation. */
export interface Outputs {
  whoami: WhoAmI;
  listSystems: PageOf<System>;
  getSystem: System;
  upsertSystem: System;
  listIdentities: PageOf<Identity>;
  getIdentity: Identity;
  upsertIdentity: Identity;
  listPrincipals: PageOf<Principal>;
  getPrincipal: Principal;
  upsertPrincipal: Principal;
  importInventory: ImportSummary;
  registerKey: { readonly principal: string; readonly keyId: string };
  listBundles: Items<BundleVersion>;
  getBundle: BundleVersion;
  deployBundle: BundleVersion;
  approveBundle: BundleVersion;
  rejectBundle: BundleVersion;
  fileRequest: Executed;
  listRuns: PageOf<Run>;
  getRun: RunWithRecords;
  approveRun: Run;
  denyRun: Run;
  advanceRun: Executed;
  resumeRun: Executed;
  rollbackRun: Run;
  abortRun: Run;
  listGrants: Items<Grant>;
  getGrant: Grant;
  reviewBreakGlass: Grant;
  listAlerts: Items<AlertStatus>;
  ledgerHead: LedgerHead;
  signCheckpoint: Checkpoint;
  inclusionProof: InclusionProof;
  consistencyProof: ConsistencyProof;
  exportLedger: LedgerExport;
  verifyLedger: LiveVerifyReport;
  verifyToken: PresentedResult;
  jwks: JSONWebKeySet;
  issueApiToken: IssuedApiToken;
  listApiTokens: Items<ApiTokenInfo>;
  revokeApiToken: ApiTokenInfo;
}

export type OutputOf<K extends OperationName> = Outputs[K];

/** One method per operation; see ./operations.ts for who may call each. */
export type CustosApi = {
  readonly [K in OperationName]: (caller: Caller, input: InputOf<K>) => Promise<OutputOf<K>>;
};
