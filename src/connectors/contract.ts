/**
 * The connector contract: how the run engine changes an identity on a target system. Every
 * operation is keyed by (run id, step id) so that a crash and restart never applies an effect twice,
 * every call carries the delegated authority minted for that run (connectors refuse to act without a
 * valid one that matches the step), and errors say whether they are retryable.
 *
 * Secrets never leave a connector in a result that is recorded: outputs carry fingerprints only; a
 * freshly issued secret is returned once in `secret`, for the requester, and never logged.
 */
import type { JsonValue } from '../core/canonical-json.js';

export type StepAction =
  'create' | 'grant' | 'revoke' | 'rotate' | 'suspend' | 'enable' | 'retire' | 'expire' | 'end_sessions';

/** The target system as the connector needs it; secret settings are references (`env:NAME`). */
export interface TargetSystem {
  readonly id: string;
  readonly type: string;
  readonly environment: string;
  readonly connection: Readonly<Record<string, JsonValue>>;
}

/** The identity a step acts on. `externalId` is its name on the target (role, user, key id). */
export interface TargetIdentity {
  readonly id: string;
  readonly kind: string;
  readonly externalId: string;
}

export interface Step {
  readonly runId: string;
  /** Unique within the run; with runId, the idempotency key of the effect. */
  readonly stepId: string;
  readonly action: StepAction;
  readonly system: TargetSystem;
  readonly identity: TargetIdentity;
  /** Action parameters: entitlements to grant or revoke, expiry, overlap window, … (no secrets). */
  readonly params: Readonly<Record<string, JsonValue>>;
}

/** A compact JWS (EdDSA) minted for this run: see src/authority. */
export type DelegatedAuthority = string;

export interface StepPlan {
  readonly summary: string;
  /** Human-readable effects, e.g. `CREATE ROLE "svc_reports" LOGIN VALID UNTIL …`, never a secret. */
  readonly effects: readonly string[];
  readonly rollback: 'transactional' | 'compensating' | 'irreversible';
}

/** The state of the identity on the target before a step, kept to roll back by compensation. */
export type PriorState = Readonly<Record<string, JsonValue>>;

export interface IssuedSecret {
  /** Shown once to the requester; never recorded, logged or exported. */
  readonly value: string;
  /** `hmac-sha256:…` — what records carry instead. */
  readonly fingerprint: string;
  readonly expiresAt?: string;
}

export interface ApplyResult {
  /** `already_applied` when a previous attempt of the same (run, step) had taken effect. */
  readonly outcome: 'applied' | 'already_applied';
  /** Recorded facts about the result (no secrets): fingerprints, expiry, role attributes, … */
  readonly outputs: Readonly<Record<string, JsonValue>>;
  /** A produced artefact (a token, a certificate): its hash and version. */
  readonly artifact?: { readonly hash: string; readonly version: string };
  readonly secret?: IssuedSecret;
}

export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly VerifyCheck[];
}

export interface ListedAccount {
  readonly externalId: string;
  readonly attributes: Readonly<Record<string, JsonValue>>;
}

export interface ConnectorDescription {
  readonly type: string;
  readonly actions: readonly StepAction[];
  /** Whether rollback is a real transaction on this target or a compensation. */
  readonly rollback: 'transactional' | 'compensating';
  /** Whether verification can log in for real with the new credential. */
  readonly realLogin: boolean;
}

export interface Connector {
  describe(): ConnectorDescription;
  /**
   * Refuses a step this connector could never carry out as asked, from the step alone: an action
   * it does not support, params outside its grammar (entitlements, windows, lifetimes), a name it
   * cannot use. No authority, no target: the engine calls it when a request is filed, so that bad
   * input is refused before anything is written. `plan` and `apply` refuse the same steps.
   */
  checkStep(step: Step): void;
  plan(step: Step, authority: DelegatedAuthority): Promise<StepPlan>;
  /** Reads what rollback would need to restore (call before apply). */
  readPrior(step: Step, authority: DelegatedAuthority): Promise<PriorState>;
  /** Idempotent per (runId, stepId). Throws CustosError with `retryable` set. */
  apply(step: Step, authority: DelegatedAuthority): Promise<ApplyResult>;
  /**
   * Reads the target back; where possible logs in with the new credential and checks the old one
   * fails. `secret` is the credential apply issued, when the caller still holds it.
   */
  verify(step: Step, authority: DelegatedAuthority, secret?: string): Promise<VerifyResult>;
  /** Restores the prior state (transaction or compensation); verify the prior state afterwards. */
  rollback(step: Step, authority: DelegatedAuthority, prior: PriorState): Promise<void>;
  list(system: TargetSystem, authority: DelegatedAuthority): Promise<ListedAccount[]>;
  /** Ends the identity's open sessions; returns how many were ended. */
  endSessions(step: Step, authority: DelegatedAuthority): Promise<number>;
}
