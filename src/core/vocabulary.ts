/**
 * The domain vocabulary shared by the inventory, the policy layer and the connectors: one list of
 * system types, identity kinds and risk tiers for the whole of Custos. Pure data.
 */
export const SYSTEM_TYPES = ['postgres', 'mariadb', 'redis', 'ldap', 'rabbitmq', 'scim', 'tokens'] as const;
export type SystemType = (typeof SYSTEM_TYPES)[number];

export const IDENTITY_KINDS = [
  'service_account',
  'api_key',
  'token',
  'certificate',
  'workload',
  'ai_agent',
] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Ordered from least to most risky: the index is the rank. */
export const RISK_TIERS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];
