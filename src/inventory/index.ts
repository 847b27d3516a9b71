/** The inventory module: systems, non-human identities, principals, and their import. */
export {
  IDENTITY_KINDS,
  LIFECYCLE_STATES,
  OWNER_ROLES,
  PRINCIPAL_KINDS,
  RISK_TIERS,
  ROLES,
  SYSTEM_TYPES,
  TRANSITIONS,
  canTransition,
  type Connection,
  type Credential,
  type Identity,
  type IdentityKind,
  type LifecycleState,
  type OwnerRole,
  type Owners,
  type Page,
  type PageOf,
  type Principal,
  type PrincipalKind,
  type RiskTier,
  type Role,
  type System,
  type SystemType,
} from './model.js';
export { createInventory, type ActOptions, type Inventory } from './inventory.js';
export type { BatchOptions, BatchResult } from './batch.js';
export type { EditOutcome, EditStatus, IdentityChange, IdentityEdit } from './identity-edits.js';
export { MAX_CLOCK_SKEW_MS, type ReconciliationInput } from './reconciliation.js';
export type { Action, Batch, Candidate, PlanItem } from './plan-types.js';
export { actorFor, isPrincipalId, principalKind } from './principal-id.js';
export { isSecretName, isSecretReference } from './secret-ref.js';
export {
  InventoryInputError,
  formatProblem,
  sortProblems,
  type FieldProblem,
  type Problem,
  type ProblemCode,
} from './problems.js';
export type { IdentityInput } from './validate-identity.js';
export type { PrincipalInput } from './validate-principal.js';
export type { SystemInput } from './validate-system.js';
export { ENTRY_KINDS, SECTIONS, type EntryKind } from './fields.js';
export {
  MAX_IMPORT_BYTES,
  countActions,
  formatOf,
  importInventory,
  type ImportFormat,
  type ImportOptions,
  type ImportResult,
  type ImportSource,
} from './import/import-file.js';
export { parseCsv, CsvSyntaxError, type CsvRecord } from './import/csv.js';
