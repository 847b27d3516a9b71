/**
 * The fixed vocabulary of workflow bundles: principals, identity kinds, system types, risk tiers,
 * actions, and the framework control ids a workflow may claim to evidence. Pure data.
 */
import { RISK_TIERS, SYSTEM_TYPES, type RiskTier, type SystemType } from '../core/vocabulary.js';

export { IDENTITY_KINDS, RISK_TIERS, SYSTEM_TYPES } from '../core/vocabulary.js';
export type { IdentityKind, RiskTier, SystemType } from '../core/vocabulary.js';

export const ACTIONS = [
  'create',
  'grant',
  'revoke',
  'rotate',
  'suspend',
  'retire',
  'exception',
  'break_glass',
] as const;
export type Action = (typeof ACTIONS)[number];

export function riskRank(tier: RiskTier): number {
  return RISK_TIERS.indexOf(tier);
}

export function isRiskTier(value: string): value is RiskTier {
  return (RISK_TIERS as readonly string[]).includes(value);
}

export function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

export function isSystemType(value: string): value is SystemType {
  return (SYSTEM_TYPES as readonly string[]).includes(value);
}

/**
 * Principal ids are typed strings: `person:<n>` (a human), `group:<n>`, `service:<n>` (a
 * non-human requester such as a CI pipeline). The name part allows e-mail-like names.
 */
export const PRINCIPAL_ID = /^(person|group|service):[A-Za-z0-9][A-Za-z0-9._@-]{0,126}$/;
export const PERSON_ID = /^person:[A-Za-z0-9][A-Za-z0-9._@-]{0,126}$/;
export const GROUP_ID = /^group:[A-Za-z0-9][A-Za-z0-9._@-]{0,126}$/;
/** Requesters are people or services, never groups. */
export const REQUESTER_ID = /^(person|service):[A-Za-z0-9][A-Za-z0-9._@-]{0,126}$/;
/** System, identity, workflow and route names. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** OWASP Non-Human Identities Top 10 (2025): NHI1 Improper Offboarding ... NHI10 Human Use of NHI. */
export const OWASP_NHI_2025: Readonly<Record<string, string>> = {
  NHI1: 'Improper Offboarding',
  NHI2: 'Secret Leakage',
  NHI3: 'Vulnerable Third-Party NHI',
  NHI4: 'Insecure Authentication',
  NHI5: 'Overprivileged NHI',
  NHI6: 'Insecure Cloud Deployment Configurations',
  NHI7: 'Long-Lived Secrets',
  NHI8: 'Environment Isolation',
  NHI9: 'NHI Reuse',
  NHI10: 'Human Use of NHI',
};

/** NIST AI RMF 1.0 core functions. */
export const NIST_AI_RMF_FUNCTIONS = ['GOVERN', 'MAP', 'MEASURE', 'MANAGE'] as const;

/**
 * NIST CSF 2.0 (February 2024): the 106 subcategory ids, as category -> subcategory numbers.
 * Numbers missing from a run were withdrawn or moved when 2.0 was published (e.g. ID.AM-06).
 */
const CSF_2_0: Readonly<Record<string, readonly number[]>> = {
  'GV.OC': [1, 2, 3, 4, 5],
  'GV.RM': [1, 2, 3, 4, 5, 6, 7],
  'GV.RR': [1, 2, 3, 4],
  'GV.PO': [1, 2],
  'GV.OV': [1, 2, 3],
  'GV.SC': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  'ID.AM': [1, 2, 3, 4, 5, 7, 8],
  'ID.RA': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  'ID.IM': [1, 2, 3, 4],
  'PR.AA': [1, 2, 3, 4, 5, 6],
  'PR.AT': [1, 2],
  'PR.DS': [1, 2, 10, 11],
  'PR.PS': [1, 2, 3, 4, 5, 6],
  'PR.IR': [1, 2, 3, 4],
  'DE.CM': [1, 2, 3, 6, 9],
  'DE.AE': [2, 3, 4, 6, 7, 8],
  'RS.MA': [1, 2, 3, 4, 5],
  'RS.AN': [3, 6, 7, 8],
  'RS.CO': [2, 3],
  'RS.MI': [1, 2],
  'RC.RP': [1, 2, 3, 4, 5, 6],
  'RC.CO': [3, 4],
};

export const NIST_CSF_2_0_SUBCATEGORIES: ReadonlySet<string> = new Set(
  Object.entries(CSF_2_0).flatMap(([category, numbers]) =>
    numbers.map((n) => `${category}-${String(n).padStart(2, '0')}`),
  ),
);
