/**
 * The inventory's vocabulary: systems (targets reached by a connector), the non-human identities
 * that live on them, and the principals (people, groups, services) that own and act on both.
 * Pure: types, enums and the identity lifecycle transition table.
 */

import type { IdentityKind, RiskTier, SystemType } from '../core/vocabulary.js';

export { IDENTITY_KINDS, RISK_TIERS, SYSTEM_TYPES } from '../core/vocabulary.js';
export type { IdentityKind, RiskTier, SystemType } from '../core/vocabulary.js';
export const LIFECYCLE_STATES = ['requested', 'active', 'suspended', 'retired'] as const;
export const ROLES = ['requester', 'approver', 'owner', 'auditor', 'admin'] as const;
export const OWNER_ROLES = ['business', 'policy', 'platform'] as const;
export const PRINCIPAL_KINDS = ['person', 'group', 'service'] as const;

export type LifecycleState = (typeof LIFECYCLE_STATES)[number];
export type Role = (typeof ROLES)[number];
export type OwnerRole = (typeof OWNER_ROLES)[number];
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** Connection settings: flat; a field named like a secret holds only `env:NAME` or `secret:NAME`. */
export type Connection = Readonly<Record<string, string | number | boolean>>;

/**
 * Business owner (the access decision), policy owner (the rules), platform owner (the automation
 * and the target): persons or groups. All three are required before an identity can be active.
 */
export type Owners = Readonly<Partial<Record<OwnerRole, string>>>;

export interface Credential {
  /** `hmac-sha256:<key id>:<mac>` — never the secret itself. */
  readonly fingerprint: string;
  readonly issuedAt: string;
  readonly expiresAt?: string;
}

export interface System {
  readonly id: string;
  readonly type: SystemType;
  readonly environment: string;
  /** A person or group. */
  readonly owner: string;
  readonly connection: Connection;
  readonly lastReconciledAt: string | null;
  readonly openCriticalFindings: number;
}

export interface Identity {
  readonly id: string;
  readonly kind: IdentityKind;
  readonly system: string;
  readonly externalId: string;
  readonly state: LifecycleState;
  readonly owners: Owners;
  readonly credentials: readonly Credential[];
  readonly entitlements: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly riskTier: RiskTier;
  readonly lastVerifiedAt: string | null;
}

/**
 * `person:<name>`, `group:<name>` or `service:<name>`. Persons and services belong to groups and
 * hold roles; a group's members are the principals that name it. Personal data (a person's
 * displayName and email) is stored in the vault and recorded only as commitments; `null` when unset
 * or erased.
 */
export interface Principal {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly roles: readonly Role[];
  /** Groups of a person or service; empty for a group. */
  readonly groups: readonly string[];
  /** Members of a group; empty for a person or service. */
  readonly members: readonly string[];
  readonly displayName: string | null;
  readonly email: string | null;
}

/** Allowed lifecycle transitions; a retired identity never comes back. */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  requested: ['active', 'retired'],
  active: ['suspended', 'retired'],
  suspended: ['active', 'retired'],
  retired: [],
};

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export interface Page {
  /** Return entities whose id sorts after this one. */
  readonly after?: string;
  /** 1..1000, default 100. */
  readonly limit?: number;
}

export interface PageOf<T> {
  readonly items: readonly T[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}
