/** The decision function's request and answer. */
import type { CedarValueJson, EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { NewIdentity } from './entities.js';
import type { Action, RiskTier } from './vocabulary.js';
import type { ApprovalRequirement } from './workflow-schema.js';

/** An inventory identity by id, or the description of an identity a `create` would make. */
export type ResourceRef = { readonly identity: string } | { readonly new: NewIdentity };

export interface DecisionRequest {
  /** `person:<n>` or `service:<n>`: who asks. */
  readonly principal: string;
  readonly action: Action;
  readonly resource: ResourceRef;
  /**
   * Request context: `entitlements` (strings), `durationMinutes`, `justification`, plus anything
   * the schema declares. `workflow` and `environment` are always computed (from the bundle and the
   * resource's system), never taken from the requester.
   */
  readonly context?: Readonly<Record<string, CedarValueJson>> | undefined;
  /** The principal, its groups, and the identity and system entities (see buildEntities). */
  readonly entities: readonly EntityJson[];
}

/**
 * The approvals a decision requires. Approvers are always distinct people and never the
 * requester (the run engine enforces this; lint checks that fixtures make it satisfiable).
 * `ordered` means the requirements are steps, approved one after another.
 */
export interface DecisionRoute {
  readonly name: string;
  readonly mode: 'auto' | 'approvals';
  readonly requirements: readonly ApprovalRequirement[];
  readonly ordered: boolean;
  readonly expiresAfter: string | undefined;
  readonly remindAfter: string | undefined;
  readonly escalateAfter: string | undefined;
}

export interface Decision {
  readonly allowed: boolean;
  /** Allowed: the permit ids. Denied: the forbid ids, or why nothing permitted it. */
  readonly reasons: readonly string[];
  /** The highest @risk among the determining permits; undefined when denied. */
  readonly riskTier: RiskTier | undefined;
  /** The route of the highest-risk determining permit; undefined when denied. */
  readonly route: DecisionRoute | undefined;
  /** Sorted policy ids that determined the decision (permits when allowed, forbids when denied). */
  readonly determiningPolicies: readonly string[];
  /** The workflow whose route applies (allowed), or that governs the request (denied). */
  readonly workflow: string | undefined;
  readonly bundleHash: string;
}
